/**
 * Statuses the runtime itself reports for its subtasks (RuntimeContext.reportStatus), beside connectors' own: the
 * job's process keeps them in JobStatus and the observations read them.
 */

/** A source subtask's dead letters by reason: `Record<reason, count>`. */
export const DEAD_LETTERS_STATUS = 'weir.dead-letters';

/** A source subtask's splits: `Record<splitId, { watermark, idle }>`, at the watermark interval. */
export const SPLIT_WATERMARKS_STATUS = 'weir.split-watermarks';

/**
 * The reason a dead letter is counted under: the error's name in its `Name: message` text (a bounded set, where the
 * message names the record), or the whole text when it has no name.
 */
export function deadLetterReason(reason: string): string {
  const match = /^([A-Za-z_$][\w$.]*)(?::|$)/.exec(reason);
  return match?.[1] ?? reason.slice(0, 80);
}
