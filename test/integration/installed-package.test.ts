/**
 * weir as its users meet it: `npm pack` the repository, install the tarball into a fresh project, and use it there
 * from plain node, from a strict TypeScript build, through `npx weir run`, and from the project's own vitest tests,
 * among them a weir/testing property test of a keyed windowed job under generated faults (issue 16's Done-when 1 and
 * 2 for files). The tools the project needs beside weir (typescript, @types/node, vitest, fast-check) are installed at the versions this
 * repository uses, from the npm registry (npm's cache serves them when the repository's own install filled it).
 */
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectSuccess, installedVersion, NPM, NPX, ROOT, run } from '../fixtures/commands.ts';
import { packedWeir } from '../fixtures/packed-weir.ts';

const APP_FILES = fileURLToPath(new URL('../fixtures/installed-app', import.meta.url));

let work: string;
let app: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'weir-installed-'));
  app = join(work, 'app');
  // The run's one packed weir (test/fixtures/packed-weir.ts), shared with the other files that install it.
  const tarball = await packedWeir();
  cpSync(APP_FILES, app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'weir-user-app', private: true, type: 'module' }, null, 2));
  const tools = ['typescript', '@types/node', 'vitest', 'fast-check'].map((name) => `${name}@${installedVersion(name)}`);
  const install = await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...tools], app, 600_000);
  expectSuccess(install, 'npm install of the packed tarball');
}, 900_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed weir installed into a fresh project', () => {
  test('ships the build, not the TypeScript sources', () => {
    const installed = join(app, 'node_modules', 'weir');
    expect(readdirSync(installed).sort()).not.toContain('src');
    for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/kafka.js', 'dist/testing/index.js', 'LICENSE', 'README.md']) {
      expect(() => readFileSync(join(installed, entry)), entry).not.toThrow();
    }
  });

  test('a plain node ESM script imports weir, weir/kafka and weir/testing and runs a job with runJob', async () => {
    const outcome = await run(process.execPath, ['run-jobs.mjs'], app);
    expectSuccess(outcome, 'node run-jobs.mjs');
    expect(outcome.stdout).toContain('squares=[1,4,9,16]');
  });

  test('a strict TypeScript project (tsc --init, module nodenext) type-checks a job with windows, state and Kafka types', async () => {
    expectSuccess(await run(NPX, ['tsc', '--init'], app), 'tsc --init');
    const config = readFileSync(join(app, 'tsconfig.json'), 'utf8');
    // tsc --init's defaults, with Node's types (it lists none) and nodenext set even where a default changes.
    writeFileSync(
      join(app, 'tsconfig.json'),
      config.replace(/"types":\s*\[\]/, '"types": ["node"]').replace(/"module":\s*"[^"]*"/, '"module": "nodenext"'),
    );
    expect(readFileSync(join(app, 'tsconfig.json'), 'utf8')).toMatch(/"strict":\s*true/);
    const check = await run(NPX, ['tsc', '--noEmit', '-p', '.'], app);
    expectSuccess(check, 'tsc --noEmit');
    // The types are real, not `any`: a wrong field in an emitted record is a compile error.
    writeFileSync(
      join(app, 'wrong-field.ts'),
      "import { defineJob } from 'weir';\n" +
        'export default defineJob({ name: "wrong" }, (env) => {\n' +
        '  env.fromElements({ user: "ada" }).map((click) => click.usr);\n' +
        '});\n',
    );
    const wrong = await run(NPX, ['tsc', '--noEmit', '-p', '.'], app);
    rmSync(join(app, 'wrong-field.ts'));
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toContain("Property 'usr' does not exist");
  });

  test('npx weir run runs a TypeScript job and a JavaScript job', async () => {
    const typescript = await run(NPX, ['weir', 'run', 'window-job.ts', '--parallelism', '2'], app);
    expectSuccess(typescript, 'npx weir run window-job.ts');
    expect(typescript.stdout.split('\n').filter((line) => line.includes('clicks=')).sort()).toEqual([
      'ada clicks=1',
      'ada clicks=2',
      'ada clicks=3',
      'bob clicks=1',
      'bob clicks=2',
      'bob clicks=3',
    ]);
    const javascript = await run(NPX, ['weir', 'run', 'doubled-job.mjs'], app);
    expectSuccess(javascript, 'npx weir run doubled-job.mjs');
    expect(javascript.stdout.trim().split('\n')).toEqual(['doubled=2', 'doubled=4', 'doubled=6']);
    // The installed command reads its version from the installed package.json (dist/cli/ is two folders below it).
    const version = await run(NPX, ['weir', '--version'], app);
    expectSuccess(version, 'npx weir --version');
    expect(version.stdout).toBe(`${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });

  test("the project's own vitest tests run its job, and one of its functions in the operator harness", async () => {
    const outcome = await run(NPX, ['vitest', 'run', '--reporter=verbose', 'window-job.spec.ts', 'click-count.spec.ts'], app);
    expectSuccess(outcome, 'npx vitest run window-job.spec.ts click-count.spec.ts');
    expect(outcome.stdout).toContain('counts clicks per user per minute');
    expect(outcome.stdout).toContain('the click count fires per user when the watermark passes the minute');
    expect(outcome.stdout).toMatch(/Tests\s+2 passed/);
  });

  describe('weir/testing: the README\'s property test, run by the project', () => {
    const SPEC = 'scores.exactly-once.spec.ts';

    test("the README's testing section shows the project's property test, line for line, in under 25 lines", () => {
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const shown = /<!-- testing-example -->\n```ts\n([\s\S]*?)```\n/.exec(readme)?.[1];
      expect(shown, 'README.md has no testing example').toBeDefined();
      expect(shown).toBe(readFileSync(join(APP_FILES, SPEC), 'utf8'));
      expect(shown!.trimEnd().split('\n').length).toBeLessThan(25);
    });

    // Done-when 1 (files): 20 generated schedules over files pass, and every fault kind files support fired.
    test('checkExactlyOnce passes 20 generated fault schedules over files, and every fault kind fires', { timeout: 900_000 }, async () => {
      const outcome = await run(NPX, ['vitest', 'run', '--reporter=verbose', SPEC], app, 900_000);
      expectSuccess(outcome, `npx vitest run ${SPEC}`);
      const fired = /faults fired: (\{.*\})/.exec(outcome.stdout)?.[1];
      expect(fired, outcome.stdout).toBeDefined();
      console.log(`installed weir/testing, 20 schedules over files: faults fired ${fired}`);
      const { byKind } = JSON.parse(fired!) as { byKind: Record<string, number> };
      expect(Object.keys(byKind).sort()).toEqual(['exit-thread', 'kill', 'second-instance', 'throw']);
    });

    // Done-when 1 (Kafka): 5 fault schedules (2 examples, 3 generated) over real Kafka pass, on a broker the project's
    // test starts itself through the installed weir/testing (Java and the cached Kafka jars), and both Kafka faults fire.
    test('checkExactlyOnce passes 5 fault schedules over real Kafka, broker restarts and outages among them', { timeout: 900_000 }, async () => {
      const spec = 'scores.kafka.spec.ts';
      const outcome = await run(NPX, ['vitest', 'run', '--reporter=verbose', spec], app, 900_000);
      expectSuccess(outcome, `npx vitest run ${spec}`);
      const fired = /kafka faults fired: (\{.*\})/.exec(outcome.stdout)?.[1];
      expect(fired, outcome.stdout).toBeDefined();
      console.log(`installed weir/testing, 5 schedules over Kafka: faults fired ${fired}`);
      const { byKind } = JSON.parse(fired!) as { byKind: Record<string, number> };
      expect(Object.keys(byKind)).toEqual(expect.arrayContaining(['broker-restart', 'cluster-outage']));
    });

    // Done-when 2: the same project with a job that keeps state outside keyed state fails, and says why and how to replay.
    test('with a broken job the property fails with a counterexample naming the keys, the records and the seed', { timeout: 900_000 }, async () => {
      const job = join(app, 'scores-job.ts');
      const correct = readFileSync(job, 'utf8');
      copyFileSync(join(app, 'broken-scores-job.ts'), job);
      try {
        const outcome = await run(NPX, ['vitest', 'run', SPEC], app, 900_000);
        const printed = `${outcome.stdout}\n${outcome.stderr}`;
        expect(outcome.code, printed).not.toBe(0);
        console.log(`installed weir/testing, the broken job's failure:\n${printed.slice(0, 3_000)}`);
        expect(printed).toMatch(/seed: -?\d+, path: "[\d:]+"/);
        expect(printed).toContain('exactly-once violated');
        expect(printed).toMatch(/key "m\d": (lost|duplicated) \d+ records?: \{"model":"m\d"/);
        expect(printed).toMatch(/schedule: .*\{"io":"files","faults":\[/);
      } finally {
        writeFileSync(job, correct);
      }
    });
  });
});
