// Entry of every worker thread. Worker threads do not inherit the main thread's loader hooks: run from weir's
// TypeScript sources, a worker registers tsx before it loads them (a TypeScript job is the job loader's business).
import { registerTypeScript, runsFromSources } from '../module-loader.js';

if (runsFromSources) await registerTypeScript();
const { runWorkerTask } = runsFromSources ? await import('./worker-main.ts') : await import('./worker-main.js');

export default runWorkerTask;
