import { type CheckpointMetadata, type CheckpointStorage, CorruptCheckpointError } from './storage.ts';

/**
 * The newest completed checkpoint whose metadata and files all pass their checks. A damaged one is skipped, with
 * `warn` told why, in favour of the one before; undefined when none is usable (a fresh start).
 */
export async function latestRestorable(
  storage: CheckpointStorage,
  warn: (checkpointId: number, reason: string) => void,
): Promise<CheckpointMetadata | undefined> {
  for (const checkpointId of await storage.completed()) {
    try {
      return await storage.verify(checkpointId);
    } catch (error) {
      if (!(error instanceof CorruptCheckpointError)) throw error;
      warn(checkpointId, error.message);
    }
  }
  return undefined;
}
