// How weir loads code that it does not build itself: the user's job module, and its own sources in a checkout.
// Plain JavaScript on purpose: it must run before any TypeScript loader exists, and an import() made from a
// JavaScript file is not redirected by tsx from `job.js` to a `job.ts` that sits beside it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REGISTERED = Symbol.for('weir.typescript-loader');
const TYPESCRIPT_FILE = /\.(?:ts|mts|cts|tsx)$/;

/** True in a checkout of weir's repository (TypeScript sources, no build), false in the installed package (dist/). */
export const runsFromSources = existsSync(new URL('./job-loader.ts', import.meta.url));

/**
 * Whether a file needs a TypeScript loader.
 * @param {string} path
 * @returns {boolean}
 */
export function isTypeScriptPath(path) {
  return TYPESCRIPT_FILE.test(path);
}

/**
 * Registers tsx in this thread (once), so that TypeScript modules load without a build step. Worker threads do not
 * inherit the main thread's loader hooks: each calls this itself. From weir's sources, tsx reads weir's own tsconfig,
 * whose paths map `weir`, `weir/kafka` and `weir/testing` to the sources; installed, it reads the user's.
 * @returns {Promise<void>}
 */
export async function registerTypeScript() {
  const scope = /** @type {Record<symbol, boolean>} */ (/** @type {unknown} */ (globalThis));
  if (scope[REGISTERED] === true) return;
  scope[REGISTERED] = true;
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register(runsFromSources ? { tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) } : {});
  // The CommonJS hook serves .ts files outside an ESM package (a user's project without "type": "module").
  cjs.register();
}

/**
 * Imports exactly the file at `absolutePath`: `job.js` is `job.js`, even when a `job.ts` sits beside it.
 * @param {string} absolutePath
 * @returns {Promise<unknown>}
 */
export function importExactly(absolutePath) {
  return import(pathToFileURL(absolutePath).href);
}
