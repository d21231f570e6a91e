import type fcModule from 'fast-check';
import { WeirError } from '../core/errors.ts';

/** The fast-check module's type: weir/testing builds its arbitraries with the user's own copy (a peer dependency). */
export type FastCheck = typeof fcModule;

// Loaded once, without failing the import of weir/testing: a user who never asks for an arbitrary needs no fast-check.
const loaded: FastCheck | Error = await import('fast-check').then(
  (module) => module.default,
  (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
);

/** fast-check, or a clear error when it is not installed beside weir. */
export function fastCheck(): FastCheck {
  if (loaded instanceof Error) {
    throw new WeirError(`weir/testing's arbitraries need fast-check, which is not installed: npm install --save-dev fast-check (${loaded.message})`, { cause: loaded });
  }
  return loaded;
}
