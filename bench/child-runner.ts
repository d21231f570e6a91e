/** One benchmark result: the JSON line of the contract in docs/architecture.md, plus any bench-specific fields. */
export type Line = Record<string, unknown>;

/**
 * Runs `bench/run.ts --child <args>` in a fresh process (so its CPU and RSS are its own), on `cores` (a `taskset -c`
 * CPU list) when given; its last line, or undefined if it failed.
 */
export type ChildRunner = (args: string[], cores?: string) => Line | undefined;
