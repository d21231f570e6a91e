import { userFrameOf } from './stack-frames.ts';

/**
 * Stable codes of weir's errors, for programs and alerts that must not parse messages:
 *
 * | code                   | thrown as          | meaning                                                                  |
 * | ---------------------- | ------------------ | ------------------------------------------------------------------------ |
 * | `WEIR_ERROR`           | WeirError          | weir or a connector failed (a broker, a file, a checkpoint)              |
 * | `WEIR_JOB_DEFINITION`  | JobDefinitionError | the job, its module, its builder or its arguments are wrong: nothing ran |
 * | `WEIR_OPERATOR_FAILED` | OperatorError      | user code or a connector threw inside an operator (see its `cause`)      |
 * | `WEIR_JOB_FAILED`      | JobFailedError     | the run failed for good (restarts exhausted, or a fatal failure)         |
 * | `WEIR_USER_FATAL`      | FatalError         | user code says that restarting cannot help: the job fails at once        |
 * | `WEIR_BAD_RECORD`      | BadRecordError     | a record itself is at fault (unreadable, no timestamp)                   |
 * | `WEIR_SERIALIZATION`   | WeirError          | a record is not plain data and cannot cross threads                      |
 * | `WEIR_WORKER_FAILED`   | WeirError          | a worker thread died or failed outside its subtasks                     |
 * | `WEIR_FENCED`          | WeirError          | another instance of the job took a Kafka transactional id over          |
 * | `WEIR_CHECK_FAILED`    | ExactlyOnceViolation, FaultsNotFired | weir/testing: a job's output under faults differs, or no fault fired |
 */
export type WeirErrorCode =
  | 'WEIR_ERROR'
  | 'WEIR_JOB_DEFINITION'
  | 'WEIR_OPERATOR_FAILED'
  | 'WEIR_JOB_FAILED'
  | 'WEIR_USER_FATAL'
  | 'WEIR_BAD_RECORD'
  | 'WEIR_SERIALIZATION'
  | 'WEIR_WORKER_FAILED'
  | 'WEIR_FENCED'
  | 'WEIR_CHECK_FAILED';

export interface WeirErrorOptions {
  readonly cause?: unknown;
  /** True when retrying the same action may succeed (a lost connection), false for bugs and bad input. */
  readonly retriable?: boolean;
  /** True when restarting the job cannot help: the job fails at once, whatever its restart strategy. */
  readonly fatal?: boolean;
  /** Defaults to the class's code. */
  readonly code?: WeirErrorCode;
}

/** Root of every error weir raises itself, so callers can tell ours from user code's. */
export class WeirError extends Error {
  /** The code of errors of this class unless the constructor is given another. */
  static readonly defaultCode: WeirErrorCode = 'WEIR_ERROR';
  override name = 'WeirError';
  readonly code: WeirErrorCode;
  /** True when retrying the same action may succeed (lost connection), false for bugs and bad input. */
  readonly retriable: boolean;
  /** True when restarting the job cannot help (another instance took it over): the job fails without a restart. */
  readonly fatal: boolean;
  constructor(message: string, options: WeirErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? (new.target as typeof WeirError).defaultCode;
    this.retriable = options.retriable ?? false;
    this.fatal = options.fatal ?? false;
  }
}

/**
 * Thrown by user code to say that restarting cannot help (bad configuration, a record that will always fail): the
 * job fails at once instead of restarting. `new WeirError(message, { fatal: true })` does the same.
 */
export class FatalError extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_USER_FATAL';
  override name = 'FatalError';
  constructor(message: string, options: Omit<WeirErrorOptions, 'fatal'> = {}) {
    super(message, { ...options, fatal: true });
  }
}

/** Whether an error, or one it wraps, says that restarting cannot help. */
export function isFatal(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof WeirError && current.fatal) return true;
  }
  return false;
}

/** The job definition or its arguments are wrong: nothing ran. */
export class JobDefinitionError extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_JOB_DEFINITION';
  override name = 'JobDefinitionError';
}

/**
 * User code or a connector threw inside an operator; names the operator, the subtask, the record and the user's own
 * stack frame (file:line:column), so the message alone is actionable. The original error is its `cause`.
 */
export class OperatorError extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_OPERATOR_FAILED';
  override name = 'OperatorError';
  /** The first frame of the cause's stack in the user's code (`/path/job.ts:12:7`), when there is one. */
  readonly userFrame: string | undefined;
  constructor(
    readonly operator: string,
    readonly subtask: string,
    readonly causeMessage: string,
    readonly recordPreview: string | undefined,
    options: WeirErrorOptions & { readonly userFrame?: string } = {},
  ) {
    const userFrame = options.userFrame ?? userFrameOf(options.cause);
    super(
      `operator '${operator}' (subtask ${subtask}) failed: ${causeMessage}` +
        (recordPreview === undefined ? '' : ` [record: ${recordPreview}]`) +
        (userFrame === undefined ? '' : ` [at ${userFrame}]`),
      options,
    );
    this.userFrame = userFrame;
  }
}

/** The run as a whole failed; the first line of `message` is the CLI's summary, `cause` is what failed. */
export class JobFailedError extends WeirError {
  static override readonly defaultCode: WeirErrorCode = 'WEIR_JOB_FAILED';
  override name = 'JobFailedError';
}

/** One line describing any thrown value, for logs and error messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A short, safe preview of a record for error messages. */
export function previewRecord(record: unknown, maxLength = 200): string {
  let text: string;
  try {
    text = JSON.stringify(record) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
}
