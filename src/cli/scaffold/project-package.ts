import { readFileSync } from 'node:fs';

/** weir's own package.json (at the package's root, three levels above this file in src/ and in dist/ alike). */
const WEIR_PACKAGE = new URL('../../../package.json', import.meta.url);

interface WeirPackage {
  readonly version: string;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** The tools a project's tests and type check need, at the ranges weir itself is tested with. */
const DEV_TOOLS = ['fast-check', 'vitest', 'typescript', '@types/node'] as const;

/** The package.json of a new project `name`: weir at the version that writes it, and its test tools. */
export function projectPackage(name: string): string {
  const weir = JSON.parse(readFileSync(WEIR_PACKAGE, 'utf8')) as WeirPackage;
  const devDependencies = Object.fromEntries(
    DEV_TOOLS.map((tool) => {
      const range = weir.devDependencies[tool];
      if (range === undefined) throw new Error(`weir's package.json has no devDependency ${tool}`);
      return [tool, range];
    }),
  );
  const project = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.10' },
    scripts: {
      start: `weir run src/job.ts --job-id ${name} --checkpoint-dir data/checkpoints`,
      test: 'tsc --noEmit && vitest run',
      typecheck: 'tsc --noEmit',
    },
    dependencies: { weir: `^${weir.version}` },
    devDependencies,
  };
  return `${JSON.stringify(project, null, 2)}\n`;
}
