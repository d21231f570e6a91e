import { Counter, Gauge, type Registry } from 'prom-client';
import type { PhysicalPlan } from './planner.ts';
import type { Deployment } from './deployment.ts';
import type { StatsBoard } from './stats-board.ts';

/**
 * Job metrics read from the shared stats board at scrape time: workers never send metric messages.
 * Names are `weir_*`, labelled by job, operator and subtask (a contract: docs/architecture.md, Contracts).
 */
export function registerJobMetrics(
  registry: Registry,
  job: string,
  plan: PhysicalPlan,
  deployment: Deployment,
  stats: StatsBoard,
): void {
  const operatorSubtasks = [...plan.nodes.values()].flatMap((node) =>
    Array.from({ length: node.parallelism }, (_, subtask) => ({
      labels: { job, operator: node.name, operator_id: node.operatorId, subtask: String(subtask) },
      slot: stats.nodeSlot(node.nodeId, subtask),
    })),
  );
  const labelNames = ['job', 'operator', 'operator_id', 'subtask'] as const;

  new Counter({
    name: 'weir_operator_records_in_total',
    help: 'Records received by an operator subtask',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, slot } of operatorSubtasks) this.inc(labels, stats.recordsIn(slot));
    },
  });
  new Counter({
    name: 'weir_operator_records_out_total',
    help: 'Records emitted by an operator subtask',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, slot } of operatorSubtasks) this.inc(labels, stats.recordsOut(slot));
    },
  });

  new Counter({
    name: 'weir_late_records_dropped_total',
    help: 'Late records an operator subtask dropped because no side output takes them (see sideOutputLateData)',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, slot } of operatorSubtasks) this.inc(labels, stats.lateRecordsDropped(slot));
    },
  });

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
  new Gauge({
    name: 'weir_channel_records_in_flight',
    help: 'Records sent on a channel and not yet processed by the receiving subtask',
    labelNames: channelLabels,
    registers: [registry],
    collect() {
      for (const { labels, slot } of channels) this.set(labels, stats.inFlightRecords(slot));
    },
  });
  new Gauge({
    name: 'weir_channel_fill_ratio',
    help: 'Records in flight on a channel divided by what its credits allow (batch size x credits)',
    labelNames: channelLabels,
    registers: [registry],
    collect() {
      for (const { labels, slot } of channels) this.set(labels, stats.inFlightRecords(slot) / capacity);
    },
  });
}
