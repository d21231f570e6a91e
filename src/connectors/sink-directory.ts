import { link, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WeirError } from '../core/errors.ts';
import { syncDirectory, writeDurably } from '../core/durable-fs.ts';
import { TIME_ORDERED_ID, timeOrderedId } from '../core/file-names.ts';
import type { SinkContext } from './sink.ts';

/** The file that says which job writes a sink's directory. */
export const OWNER_FILE = '.weir-sink.json';

interface DirectoryOwner {
  readonly jobId: string;
  readonly runId: string;
}

export interface SinkDirectoryOptions {
  /**
   * The directory belongs to another job: delete that job's output (its part files and unfinished files) and take
   * the directory over. Without it, a sink refuses a directory that another job id writes.
   */
  readonly replace?: boolean | undefined;
  /** Whether a file name is this sink's output of another run (removed on replace); this job's own files stay. */
  readonly isOutputFile: (name: string) => boolean;
}

/**
 * Makes the directory this job's output directory: creates its owner file (exclusively, so that of two jobs starting
 * at once one wins), or checks that the job id it names is this job's. A restore of another job's checkpoint or
 * savepoint continues that job's run and may write where it wrote.
 */
export async function claimSinkDirectory(directory: string, ctx: Pick<SinkContext, 'jobId' | 'runId'>, options: SinkDirectoryOptions): Promise<void> {
  await mkdir(directory, { recursive: true });
  const mine: DirectoryOwner = { jobId: ctx.jobId, runId: ctx.runId };
  for (;;) {
    const owner = await readOwner(directory);
    if (owner === undefined) {
      if (await createOwnerFile(directory, mine)) return;
      continue; // another subtask or job created it meanwhile: read what it says
    }
    if (owner.jobId === mine.jobId || owner.runId === mine.runId) return;
    if (options.replace !== true) {
      throw new WeirError(
        `the sink directory ${directory} holds the output of job '${owner.jobId}' (see its ${OWNER_FILE}), and this job is '${mine.jobId}': ` +
          `give the sink another directory, run with --job-id ${owner.jobId} to add to that job's output, or pass \`replace: true\` to the sink to delete it`,
        { fatal: true },
      );
    }
    const names = await readdir(directory);
    await Promise.all(names.filter((name) => options.isOutputFile(name)).map((name) => rm(join(directory, name), { force: true })));
    await replaceOwnerFile(directory, mine);
    return;
  }
}

/** A name part that matches this job's own files: its id as it is, then a run id. */
export function ownRunPattern(jobId: string): string {
  return `${jobId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${TIME_ORDERED_ID}`;
}

async function readOwner(directory: string): Promise<DirectoryOwner | undefined> {
  let text: string;
  try {
    text = await readFile(join(directory, OWNER_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as Partial<DirectoryOwner>;
    if (typeof owner.jobId === 'string' && typeof owner.runId === 'string') return { jobId: owner.jobId, runId: owner.runId };
  } catch {
    // reported below
  }
  throw new WeirError(`the sink directory ${directory} has an unreadable ${OWNER_FILE}: remove it if the directory is this job's`, { fatal: true });
}

/** Written whole to a name of its own, then linked to the owner file's name, which fails if it exists: never half a file. */
async function createOwnerFile(directory: string, owner: DirectoryOwner): Promise<boolean> {
  const draft = await writeDraft(directory, owner);
  try {
    await link(draft, join(directory, OWNER_FILE));
    await syncDirectory(directory);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
}

async function replaceOwnerFile(directory: string, owner: DirectoryOwner): Promise<void> {
  await rename(await writeDraft(directory, owner), join(directory, OWNER_FILE));
  await syncDirectory(directory);
}

async function writeDraft(directory: string, owner: DirectoryOwner): Promise<string> {
  const draft = join(directory, `${OWNER_FILE}.${timeOrderedId()}`);
  await writeDurably(draft, `${JSON.stringify({ ...owner, createdAt: new Date().toISOString() })}\n`);
  return draft;
}
