import { randomInt } from 'node:crypto';

/** Text as a file-name part: letters, digits, '.', '_' and '-' stay, every other run becomes one '_'. */
export function fileNamePart(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/**
 * A name part unique to this moment and process, that sorts by creation time: 9 base-36 digits of the clock in ms
 * and 4 random ones. Run ids (chosen at a job's first start, kept in its checkpoints) and instance ids (one per
 * process start) are such names.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const random = randomInt(36 ** 4);
  return `${now.toString(36).padStart(9, '0')}${random.toString(36).padStart(4, '0')}`;
}

/** What `timeOrderedId` makes: names built of it can be parsed back. */
export const TIME_ORDERED_ID = '[0-9a-z]{13}';
