import { FatalError, JobDefinitionError, JobFailedError, OperatorError, WeirError, type WeirErrorCode } from './errors.ts';

/**
 * An error as plain data, so that it survives postMessage (structured clone keeps neither classes nor own fields of
 * errors): its class name, message, stack, weir's code and flags, an OperatorError's fields, and its causes.
 */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** A WeirError's code, or a Node system error's (ENOENT). */
  readonly code?: string;
  readonly weir?: { readonly retriable: boolean; readonly fatal: boolean };
  readonly operator?: {
    readonly operator: string;
    readonly subtask: string;
    readonly causeMessage: string;
    readonly recordPreview: string | undefined;
    readonly userFrame: string | undefined;
  };
  readonly cause?: SerializedError;
}

/** Causes deeper than this are cut (a cycle of causes would never end). */
const MAX_CAUSES = 16;

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: `non-error thrown: ${String(error)}`, stack: undefined };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error instanceof WeirError ? { weir: { retriable: error.retriable, fatal: error.fatal } } : {}),
    ...(error instanceof OperatorError
      ? {
          operator: {
            operator: error.operator,
            subtask: error.subtask,
            causeMessage: error.causeMessage,
            recordPreview: error.recordPreview,
            userFrame: error.userFrame,
          },
        }
      : {}),
    ...(error.cause === undefined || depth >= MAX_CAUSES ? {} : { cause: serializeError(error.cause, depth + 1) }),
  };
}

const WEIR_CLASSES: Record<string, new (message: string, options: { code?: WeirErrorCode; retriable?: boolean; fatal?: boolean; cause?: unknown }) => WeirError> = {
  WeirError,
  JobDefinitionError,
  JobFailedError,
  FatalError,
};

const BUILT_IN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * The error again, on this thread: weir's classes as themselves (other WeirError subclasses as WeirError under their
 * own name), built-in errors as their class, anything else as an Error named as the original class; each keeps the
 * original message and stack (the user's frames), and its causes.
 */
export function reviveError(data: SerializedError): Error {
  const cause = data.cause === undefined ? undefined : reviveError(data.cause);
  const options = cause === undefined ? {} : { cause };
  let error: Error;
  if (data.operator !== undefined) {
    const { operator, subtask, causeMessage, recordPreview, userFrame } = data.operator;
    error = new OperatorError(operator, subtask, causeMessage, recordPreview, { ...options, ...data.weir, ...(userFrame === undefined ? {} : { userFrame }) });
  } else if (data.weir !== undefined) {
    const WeirClass = WEIR_CLASSES[data.name] ?? WeirError;
    error = new WeirClass(data.message, { ...options, ...data.weir, code: data.code as WeirErrorCode });
  } else {
    error = new (BUILT_IN[data.name] ?? Error)(data.message, options);
    if (data.code !== undefined) Object.assign(error, { code: data.code });
  }
  // Own properties, so that they win over the class fields and survive a later structured clone.
  Object.defineProperty(error, 'name', { value: data.name, writable: true, configurable: true });
  Object.defineProperty(error, 'message', { value: data.message, writable: true, configurable: true });
  if (data.stack !== undefined) Object.defineProperty(error, 'stack', { value: data.stack, writable: true, configurable: true });
  return error;
}

/** Whether the error or one of its causes carries `code`. */
export function hasCode(data: SerializedError | undefined, code: WeirErrorCode): boolean {
  for (let current = data; current !== undefined; current = current.cause) if (current.code === code) return true;
  return false;
}
