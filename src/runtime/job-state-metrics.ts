import type { Registry } from 'prom-client';
import type { JobObservations } from './observations.ts';
import { scrapedFamily } from './metric-families.ts';

/**
 * The job-wide metrics (`weir_job_*`, `weir_checkpoint*`, `weir_kafka_*`, `weir_state_*`), read at scrape time
 * from the job's observations: its life, its checkpoints (from the coordinator's history), Kafka lag and state size.
 */
export function registerJobStateMetrics(registry: Registry, observations: JobObservations): void {
  const job = (): string => observations.snapshot().job.name ?? '';
  const jobGauge = (kind: 'counter' | 'gauge', name: string, help: string, value: () => number | undefined): void =>
    scrapedFamily(registry, kind, name, help, ['job'], () => {
      const current = value();
      return current === undefined ? [] : [{ labels: { job: job() }, value: current }];
    });

  jobGauge('gauge', 'weir_job_uptime_seconds', 'Time since the job started (its process, not its attempt)', () => observations.snapshot().job.uptimeMs / 1000);
  jobGauge('counter', 'weir_job_restarts_total', 'Attempts of the job restarted after a failure', () => observations.restarts);

  const checkpoints = () => observations.snapshot().checkpoints;
  jobGauge('counter', 'weir_checkpoints_completed_total', 'Checkpoints and savepoints completed', () => checkpoints().counts.completed);
  jobGauge('counter', 'weir_checkpoints_failed_total', 'Checkpoints and savepoints that failed (declined, timed out, or could not be written)', () => checkpoints().counts.failed);
  jobGauge('gauge', 'weir_checkpoints_in_progress', 'Checkpoints triggered and not yet completed or failed', () => checkpoints().counts.inProgress);
  const latest = () => checkpoints().latestCompleted;
  jobGauge('gauge', 'weir_last_checkpoint_duration_seconds', 'The latest completed checkpoint: from its trigger to its metadata written', () => seconds(latest()?.durationMs));
  jobGauge('gauge', 'weir_last_checkpoint_size_bytes', 'The latest completed checkpoint: bytes of the state files it names', () => latest()?.sizeBytes);
  jobGauge('gauge', 'weir_last_checkpoint_alignment_seconds', "The latest completed checkpoint: the slowest subtask's barrier alignment", () => seconds(latest()?.alignmentMs));
  jobGauge('gauge', 'weir_last_checkpoint_completed_timestamp_seconds', 'When the latest checkpoint completed (its age: time() minus this)', () => {
    const entry = latest();
    return entry === undefined || entry.durationMs === undefined ? undefined : (entry.triggeredAt + entry.durationMs) / 1000;
  });

  scrapedFamily(registry, 'gauge', 'weir_state_size_bytes', "An operator's state in the latest completed checkpoint (its files, keyed and its own)", ['job', 'operator', 'operator_id'], () => {
    const snapshot = observations.snapshot();
    const bytes = snapshot.checkpoints.stateBytesByOperator;
    return snapshot.operators.flatMap((operator) => {
      const value = bytes[operator.operatorId];
      return value === undefined ? [] : [{ labels: { job: snapshot.job.name ?? '', operator: operator.name, operator_id: operator.operatorId }, value }];
    });
  });

  const partitionLabels = ['job', 'operator', 'cluster', 'topic', 'partition'] as const;
  const partitions = () => {
    const snapshot = observations.snapshot();
    return snapshot.kafkaLag.flatMap((source) =>
      source.partitions.map((partition) => ({
        labels: { job: snapshot.job.name ?? '', operator: source.operator, cluster: partition.cluster ?? '', topic: partition.topic, partition: String(partition.partition) },
        partition,
      })),
    );
  };
  scrapedFamily(registry, 'gauge', 'weir_kafka_consumer_lag_records', "Records between a Kafka source partition's committed offset and its log end, measured after each checkpoint's commit", partitionLabels, () =>
    partitions().map(({ labels, partition }) => ({ labels, value: partition.lag })),
  );
  scrapedFamily(registry, 'gauge', 'weir_kafka_commit_latency_seconds', "How long a Kafka source partition's last offset commit took", partitionLabels, () =>
    partitions().map(({ labels, partition }) => ({ labels, value: partition.commitLatencyMs / 1000 })),
  );
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
