/**
 * `weir/testing`: run jobs in tests on the real worker-thread runtime and inspect what they produced.
 * @module weir/testing
 */
export { runJob, type RunOptions, type JobResult, type OperatorStats } from '../runtime/coordinator.ts';
export { CollectSink } from '../connectors/memory.ts';
export { faultPoint, releaseHold, FAULTS_VARIABLE, type FaultSpec, type FaultAction } from '../core/fault-points.ts';
export {
  OperatorHarness,
  HarnessSnapshot,
  type HarnessOptions,
  type HarnessBuilder,
  type HarnessJobSettings,
  type TimestampedValue,
} from './operator-harness.ts';
