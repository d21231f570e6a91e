import type { JobView } from '../runtime/routes/job-route.ts';

/** A duration for a human: `3h 02m`, `4m 09s`, `12.3s`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
}

/** `weir status`: the job in a few lines (state, uptime, attempt, restarts, checkpoints, health score). */
export function jobStatusLines(job: JobView, now: number = Date.now()): string[] {
  const { latestCompleted, restored } = job.checkpoints;
  const lines = [
    `job ${job.name ?? '(loading)'}${job.jobId !== undefined && job.jobId !== job.name ? ` (id ${job.jobId})` : ''}: ${job.state}${job.reason === undefined ? '' : ` (${job.reason})`}`,
    `  up ${humanDuration(job.uptimeMs)} since ${job.startedAt}; attempt ${job.attempt}, ${job.restarts} restart${job.restarts === 1 ? '' : 's'}; parallelism ${job.parallelism ?? '-'}`,
    latestCompleted === null
      ? '  last checkpoint: none yet'
      : `  last checkpoint: ${latestCompleted.id}, ${humanDuration(now - Date.parse(latestCompleted.completedAt))} ago, at ${latestCompleted.path}`,
  ];
  if (restored !== null) lines.push(`  restored from: ${restored.id} at ${restored.path}`);
  lines.push(`  health: ${job.health}/100 (each component's reason: GET /job/health)`);
  return lines;
}
