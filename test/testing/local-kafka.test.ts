/** startKafka (weir/testing) says what to install when the machine lacks Java 17+ or, for the first fetch, Maven. */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchKafka } from '../../src/testing/kafka/fetch.ts';
import { startKafka } from '../../src/testing/index.ts';
import { WeirError } from '../../src/core/errors.ts';

const saved = { JAVA_HOME: process.env['JAVA_HOME'], PATH: process.env['PATH'] };
const scratch: string[] = [];
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('startKafka without its tools', () => {
  it('fails with what to install when JAVA_HOME names no Java', async () => {
    process.env['JAVA_HOME'] = join(tmpdir(), 'weir-no-such-java');
    const error = await startKafka().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WeirError);
    expect((error as Error).message).toMatch(/needs Java 17 or newer, and JAVA_HOME=.*weir-no-such-java did not run/);
  });

  it('fails with what to install when the jars are not cached and there is no mvn on PATH', () => {
    const cache = mkdtempSync(join(tmpdir(), 'weir-empty-kafka-cache-'));
    const bin = mkdtempSync(join(tmpdir(), 'weir-path-without-mvn-'));
    scratch.push(cache, bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    process.env['PATH'] = bin;
    expect(() => fetchKafka(cache)).toThrow(/no mvn on PATH: install Maven/);
  });
});
