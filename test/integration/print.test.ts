import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runWeir } from '../fixtures/weir-process.ts';

const JOB = fileURLToPath(new URL('../fixtures/print-job.ts', import.meta.url));
const ratings = Array.from({ length: 10 }, (_, id) => JSON.stringify({ id, model: `v${id % 3}` }));

describe('print()', () => {
  it('writes each record to stdout as JSON, prefixed with the subtask at parallelism 2 and with its identifier', async () => {
    const { code, stdout, stderr } = await runWeir(['run', JOB, '--parallelism', '2']);
    expect(code, stderr).toBe(0);
    const lines = stdout.split('\n').filter((line) => line.length > 0);
    const printed = (pattern: RegExp) => lines.flatMap((line) => pattern.exec(line)?.slice(1) ?? []);

    expect(printed(/^[12]> (.*)$/).sort()).toEqual([...ratings].sort());
    // Both subtasks printed: the prefix is the subtask that wrote the line.
    expect(new Set(printed(/^([12])> /))).toEqual(new Set(['1', '2']));

    const keyed = lines.filter((line) => line.startsWith('keyed:'));
    expect(keyed.map((line) => line.replace(/^keyed:[12]> /, '')).sort()).toEqual([...ratings].sort());
    // After keyBy, every line of a model comes from one subtask.
    const subtasksOfModel = new Map<string, Set<string>>();
    for (const line of keyed) {
      const [, subtask, json] = /^keyed:([12])> (.*)$/.exec(line)!;
      const { model } = JSON.parse(json!) as { model: string };
      subtasksOfModel.set(model, (subtasksOfModel.get(model) ?? new Set()).add(subtask!));
    }
    for (const subtasks of subtasksOfModel.values()) expect(subtasks.size).toBe(1);

    expect(printed(/^ids> (.*)$/).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, id) => id));
    expect(lines).toHaveLength(30);
  });
});
