// Entry of every worker thread. Worker threads do not inherit the main thread's loader hooks, so a worker registers
// tsx itself when it needs it: always when weir runs from its TypeScript sources, and for a TypeScript job.
import { workerData } from 'node:worker_threads';
import { isTypeScriptPath, registerTypeScript, runsFromSources } from '../module-loader.js';

const jobModule = /** @type {{ jobModule?: unknown } | undefined} */ (workerData)?.jobModule;
if (runsFromSources || (typeof jobModule === 'string' && isTypeScriptPath(jobModule))) await registerTypeScript();
const { runWorkerTask } = runsFromSources ? await import('./worker-main.ts') : await import('./worker-main.js');

export default runWorkerTask;
