import { WeirError, type WeirErrorCode } from '../core/errors.ts';
import type { OutputDiff } from './compare.ts';
import type { CheckReport } from './report.ts';

/**
 * `checkExactlyOnce` found the job's output under faults different from its failure-free output. The message is the
 * first counterexample: per offending key, the lost, duplicated and reordered records, then the schedule and the
 * faults that fired; `diff` and `report` hold the same as data.
 */
export class ExactlyOnceViolation extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_CHECK_FAILED';
  override name = 'ExactlyOnceViolation';
  constructor(
    message: string,
    readonly diff: OutputDiff,
    readonly report: CheckReport,
  ) {
    super(message);
  }
}

/** The schedule asked for faults and none fired: the run proved nothing about them, so it fails. */
export class FaultsNotFired extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_CHECK_FAILED';
  override name = 'FaultsNotFired';
  constructor(
    message: string,
    readonly report: CheckReport,
  ) {
    super(message);
  }
}
