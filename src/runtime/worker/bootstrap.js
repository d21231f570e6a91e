// Worker threads do not inherit the main thread's loader hooks, so register tsx here before loading TypeScript:
// the ESM hook for the runtime and ESM jobs, the CJS hook for .ts files outside an ESM package (docs/architecture.md, decision 1).
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

registerEsm();
registerCjs();
const { runWorkerTask } = await import('./worker-main.ts');

export default runWorkerTask;
