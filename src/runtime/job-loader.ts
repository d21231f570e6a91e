import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isJobDefinition, type JobDefinition } from '../api/job.ts';
import { JobDefinitionError, describeError } from '../core/errors.ts';
import { compileErrorsOf } from './compile-errors.ts';
import { importExactly, isTypeScriptPath, registerTypeScript, runsFromSources } from './module-loader.js';

/** Absolute path of a job module, or a one-line error when it is missing. */
export function resolveJobPath(path: string): string {
  const absolute = resolve(path);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) throw new JobDefinitionError(`job file not found: ${path}`);
  return absolute;
}

/** Imports a job module and returns its default export, which must come from defineJob. */
export async function loadJob(absolutePath: string): Promise<JobDefinition> {
  let module: { default?: unknown };
  // Installed, weir's own import() is Node's (a test runner's transforms stop at node_modules): a TypeScript job
  // needs tsx in this thread. From the sources, whoever loaded them (the weir command, vitest) already has a loader.
  if (!runsFromSources && isTypeScriptPath(absolutePath)) {
    // Once tsx is registered, every module this thread loads goes through its hooks, at several times the cost of a
    // plain import: weir's public API, which nearly every job imports, loads first without them (about 0.2 CPU-s
    // less per thread). The package imports itself by name, which resolves through its exports map.
    await import('weir');
    await registerTypeScript();
  }
  try {
    module = (await importExactly(absolutePath)) as { default?: unknown };
  } catch (error) {
    const compileErrors = compileErrorsOf(error);
    const reason =
      compileErrors.length === 0
        ? describeError(error)
        : compileErrors.map(({ file, line, column, text }) => `${file}:${line}:${column}: ${text}`).join('\n');
    throw new JobDefinitionError(`cannot load job module ${absolutePath}: ${reason}`, { cause: error });
  }
  // A TypeScript job outside an ESM package is compiled to CommonJS, whose exports object is the default of the import.
  const candidate = isJobDefinition(module.default) ? module.default : (module.default as { default?: unknown } | undefined)?.default;
  if (!isJobDefinition(candidate)) {
    throw new JobDefinitionError(`${absolutePath} does not export a job: add \`export default defineJob({ name: '...' }, (env) => { ... })\``);
  }
  return candidate;
}
