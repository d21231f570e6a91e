import { collectDefaultMetrics, Registry } from 'prom-client';
import type { PhysicalPlan } from './planner.ts';
import type { Deployment } from './deployment.ts';
import type { StatsBoard } from './stats-board.ts';
import type { JobObservations } from './observations.ts';
import type { SubtaskObservation } from './observation-types.ts';
import { scrapedFamily, type Sample } from './metric-families.ts';

const OPERATOR_LABELS = ['job', 'operator', 'operator_id', 'subtask'] as const;
type OperatorLabel = (typeof OPERATOR_LABELS)[number];

/**
 * The job's metrics (`weir_*`, Flink's set; listed in the README), all read at scrape time from the job's
 * observations: workers never send metric messages. Also prom-client's default process and Node.js metrics.
 * Registered before the job is planned, so that /metrics answers from the start.
 */
export function registerJobMetrics(registry: Registry, observations: JobObservations): void {
  registerProcessMetrics(registry);
  const perSubtask = (pick: (subtask: SubtaskObservation) => number | null): Sample<OperatorLabel>[] => {
    const { job, operators } = observations.snapshot();
    return operators.flatMap((operator) =>
      operator.subtasks.flatMap((subtask) => {
        const value = pick(subtask);
        if (value === null) return [];
        return [{ labels: { job: job.name ?? '', operator: operator.name, operator_id: operator.operatorId, subtask: String(subtask.subtask) }, value }];
      }),
    );
  };
  const operatorFamily = (kind: 'counter' | 'gauge', name: string, help: string, pick: (subtask: SubtaskObservation) => number | null): void =>
    scrapedFamily(registry, kind, name, help, OPERATOR_LABELS, () => perSubtask(pick));

  operatorFamily('counter', 'weir_operator_records_in_total', 'Records received by an operator subtask', (s) => s.recordsIn);
  operatorFamily('counter', 'weir_operator_records_out_total', 'Records emitted by an operator subtask', (s) => s.recordsOut);
  operatorFamily('counter', 'weir_late_records_dropped_total', 'Late records an operator subtask dropped because no side output takes them (see sideOutputLateData)', (s) => s.lateRecordsDropped);
  operatorFamily('counter', 'weir_operator_dead_letters_total', "Records a source subtask sent to its dead letters (reasons: weir_dead_letters_total)", (s) => (s.deadLetters > 0 ? s.deadLetters : null));
  operatorFamily('counter', 'weir_operator_busy_time_seconds_total', "Time the operator's subtask spent neither idle nor backpressured since it started (chained operators share their subtask's)", (s) => s.busyMs / 1000);
  operatorFamily('counter', 'weir_operator_backpressured_time_seconds_total', "Time the operator's subtask waited for credit from downstream since it started", (s) => s.backPressuredMs / 1000);
  operatorFamily('counter', 'weir_operator_idle_time_seconds_total', "Time the operator's subtask waited for input since it started", (s) => s.idleMs / 1000);
  operatorFamily('gauge', 'weir_operator_current_input_watermark_milliseconds', 'The last watermark an operator subtask received (absent before the first)', (s) => s.inputWatermark);
  operatorFamily('gauge', 'weir_operator_current_output_watermark_milliseconds', 'The last watermark an operator subtask emitted (absent before the first)', (s) => s.outputWatermark);

  const keyed = (s: SubtaskObservation): boolean => s.stateCacheHits + s.stateCacheMisses > 0;
  operatorFamily('counter', 'weir_state_cache_hits_total', "Keyed state reads the operator subtask's state cache answered", (s) => (keyed(s) ? s.stateCacheHits : null));
  operatorFamily('counter', 'weir_state_cache_misses_total', "Keyed state reads that went to the operator subtask's LMDB store", (s) => (keyed(s) ? s.stateCacheMisses : null));
  operatorFamily('gauge', 'weir_state_cache_hit_ratio', "Share of the operator subtask's keyed state reads the cache answered, since it started", (s) =>
    keyed(s) ? s.stateCacheHits / (s.stateCacheHits + s.stateCacheMisses) : null,
  );

  scrapedFamily(registry, 'counter', 'weir_dead_letters_total', "Records a source sent to its dead letters, by reason (the rejecting error's name)", ['job', 'operator', 'operator_id', 'reason'], () => {
    const { job, deadLetters } = observations.snapshot();
    return deadLetters.map(({ operator, operatorId, reason, count }) => ({ labels: { job: job.name ?? '', operator, operator_id: operatorId, reason }, value: count }));
  });
}

let processMetrics: Registry | undefined;

/**
 * prom-client's default process and Node.js metrics, made once per process and shared by every job's registry: each
 * set starts observers (GC, event-loop delay) that are never stopped, and a process may run many jobs (tests).
 */
function registerProcessMetrics(registry: Registry): void {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  for (const { name } of processMetrics.getMetricsAsArray()) registry.registerMetric(processMetrics.getSingleMetric(name)!);
}

/** Records in flight per channel, read from the stats board (a channel is no operator: its own family). */
export function registerChannelMetrics(registry: Registry, job: string, plan: PhysicalPlan, deployment: Deployment, stats: StatsBoard): void {
  const capacity = plan.exchange.batchSize * plan.exchange.credits;
  const channels = deployment.channels.map((spec) => {
    const from = plan.nodes.get(spec.edge.fromNode)!;
    const to = plan.nodes.get(plan.vertices[spec.edge.toVertex]!.nodeIds[0]!)!;
    return {
      labels: { job, operator: to.name, subtask: String(spec.to), from_operator: from.name, from_subtask: String(spec.from) },
      slot: spec.slot,
    };
  });
  const channelLabels = ['job', 'operator', 'subtask', 'from_operator', 'from_subtask'] as const;
  scrapedFamily(registry, 'gauge', 'weir_channel_records_in_flight', 'Records sent on a channel and not yet processed by the receiving subtask', channelLabels, () =>
    channels.map(({ labels, slot }) => ({ labels, value: stats.inFlightRecords(slot) })),
  );
  scrapedFamily(registry, 'gauge', 'weir_channel_fill_ratio', 'Records in flight on a channel divided by what its credits allow (batch size x credits)', channelLabels, () =>
    channels.map(({ labels, slot }) => ({ labels, value: stats.inFlightRecords(slot) / capacity })),
  );
}
