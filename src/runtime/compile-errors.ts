/** One error of the TypeScript/JavaScript compiler (esbuild, under tsx) that refused a job module. */
export interface CompileError {
  readonly file: string;
  readonly line: number;
  /** From 1, as editors count. */
  readonly column: number;
  readonly text: string;
}

// esbuild's TransformError: "Transform failed with 1 error:\n<file>:<line>:<column from 0>: ERROR: <text>". Its
// `errors` array does not survive the loader thread, so the message is what is left to read.
const ERROR_LINE = /^(.+):(\d+):(\d+): ERROR: (.*)$/;

/** The compiler errors a failed import carries, when the module did not compile; empty for any other failure. */
export function compileErrorsOf(error: unknown): CompileError[] {
  if (!(error instanceof Error) || !/Transform failed with \d+ errors?:/.test(error.message)) return [];
  return error.message.split('\n').flatMap((line) => {
    const match = ERROR_LINE.exec(line);
    return match === null ? [] : [{ file: match[1]!, line: Number(match[2]), column: Number(match[3]) + 1, text: match[4]! }];
  });
}
