/** Root of every error weir raises itself, so callers can tell ours from user code's. */
export class WeirError extends Error {
  override name = 'WeirError';
  /** True when retrying the same action may succeed (lost connection), false for bugs and bad input. */
  readonly retriable: boolean;
  /** True when restarting the job cannot help (another instance took it over): the job fails without a restart. */
  readonly fatal: boolean;
  constructor(message: string, options: { cause?: unknown; retriable?: boolean; fatal?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? false;
    this.fatal = options.fatal ?? false;
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
  override name = 'JobDefinitionError';
}

/** User code or a connector threw inside an operator; names the operator so the message alone is actionable. */
export class OperatorError extends WeirError {
  override name = 'OperatorError';
  constructor(
    readonly operator: string,
    readonly subtask: string,
    readonly causeMessage: string,
    readonly recordPreview: string | undefined,
  ) {
    super(
      `operator '${operator}' (subtask ${subtask}) failed: ${causeMessage}` +
        (recordPreview === undefined ? '' : ` [record: ${recordPreview}]`),
    );
  }
}

/** The run as a whole failed; `message` is the one line the CLI prints. */
export class JobFailedError extends WeirError {
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
