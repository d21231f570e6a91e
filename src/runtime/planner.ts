import type { LogicalGraph, LogicalNode, Partitioning } from '../api/graph.ts';
import type { ExchangeOptions, StreamExecutionEnvironment } from '../api/environment.ts';
import { JobDefinitionError } from '../core/errors.ts';
import { fileNamePart } from '../core/file-names.ts';

export type PartitionKind = Partitioning['kind'];

/** A logical node placed in a chain, with its resolved parallelism and stable operator id. */
export interface PlannedNode {
  readonly nodeId: number;
  readonly name: string;
  readonly operatorId: string;
  readonly kind: 'source' | 'operator';
  readonly parallelism: number;
  readonly vertexId: number;
  /** The chained node this one reads from, inside the same vertex (undefined for the head). */
  readonly chainedFrom: { readonly nodeId: number; readonly sideOutput: string | undefined } | undefined;
}

/** A chain of operators that runs as one function chain per subtask (docs/architecture.md, decision 4). */
export interface Vertex {
  readonly id: number;
  readonly parallelism: number;
  /** Node ids in topological order; the first is the head. */
  readonly nodeIds: readonly number[];
}

/** A data exchange between two vertices. */
export interface PhysicalEdge {
  readonly id: number;
  readonly fromNode: number;
  readonly fromVertex: number;
  readonly sideOutput: string | undefined;
  readonly toVertex: number;
  readonly partitioning: Partitioning;
  readonly inputIndex: number;
}

export interface PhysicalPlan {
  readonly maxParallelism: number;
  readonly exchange: ExchangeOptions;
  readonly autoWatermarkIntervalMs: number;
  readonly stateCacheEntries: number;
  readonly nodes: ReadonlyMap<number, PlannedNode>;
  readonly vertices: readonly Vertex[];
  readonly edges: readonly PhysicalEdge[];
  /** Same job module + params + config => same fingerprint; workers check it against the coordinator's. */
  readonly fingerprint: string;
}

export interface PlanOptions {
  /** Parallelism for operators that set none (the CLI's --parallelism); the job's env.setParallelism wins. */
  readonly defaultParallelism: number;
}

interface ResolvedInput {
  readonly from: number;
  readonly sideOutput: string | undefined;
  readonly partitioning: Partitioning | undefined;
  readonly inputIndex: number;
}

/** Replaces union nodes by their inputs; the consumer's explicit partitioning wins over the branch's own. */
function resolveInputs(graph: LogicalGraph, node: LogicalNode): ResolvedInput[] {
  const resolved: ResolvedInput[] = [];
  for (const input of node.inputs) {
    const upstream = graph.node(input.from);
    if (upstream.kind !== 'union') {
      resolved.push(input);
      continue;
    }
    for (const branch of resolveInputs(graph, upstream)) {
      resolved.push({ ...branch, partitioning: input.partitioning ?? branch.partitioning, inputIndex: input.inputIndex });
    }
  }
  return resolved;
}

function resolveParallelism(node: LogicalNode, env: StreamExecutionEnvironment, options: PlanOptions): number {
  const cap = node.kind === 'source' ? node.source.maxParallelism : undefined;
  if (node.parallelism !== undefined) {
    if (cap !== undefined && node.parallelism > cap) {
      throw new JobDefinitionError(`source '${node.name}' cannot run with parallelism ${node.parallelism}: it supports at most ${cap}`);
    }
    return node.parallelism;
  }
  const wanted = env.parallelism ?? options.defaultParallelism;
  return cap === undefined ? wanted : Math.min(cap, wanted);
}

export function planJob(env: StreamExecutionEnvironment, options: PlanOptions): PhysicalPlan {
  const graph = env.graph;
  const nodes = new Map<number, PlannedNode>();
  const vertices: { readonly id: number; readonly parallelism: number; readonly nodeIds: number[] }[] = [];
  const edges: PhysicalEdge[] = [];
  const uids = new Set<string>();

  for (const node of graph.nodes) {
    if (node.kind === 'union') continue;
    const parallelism = resolveParallelism(node, env, options);
    if (parallelism > env.maxParallelism) {
      throw new JobDefinitionError(`operator '${node.name}' has parallelism ${parallelism}, above the max parallelism ${env.maxParallelism}`);
    }
    const operatorId = node.uid ?? `${node.id}-${fileNamePart(node.name)}`;
    if (uids.has(operatorId)) throw new JobDefinitionError(`two operators have the uid '${operatorId}': uids must be unique`);
    uids.add(operatorId);

    const inputs = resolveInputs(graph, node).map((input) => {
      const from = nodes.get(input.from);
      if (from === undefined) throw new JobDefinitionError(`operator '${node.name}' reads from a node that is not planned`);
      const partitioning: Partitioning =
        input.partitioning ?? (from.parallelism === parallelism ? { kind: 'forward' } : { kind: 'rebalance' });
      if (partitioning.kind === 'forward' && from.parallelism !== parallelism) {
        throw new JobDefinitionError(
          `forward from '${from.name}' (parallelism ${from.parallelism}) to '${node.name}' (parallelism ${parallelism}) needs equal parallelism: use rebalance()`,
        );
      }
      return { ...input, partitioning, fromPlanned: from };
    });

    const only = inputs.length === 1 ? inputs[0] : undefined;
    const chainedTo = only !== undefined && only.partitioning.kind === 'forward' ? only : undefined;
    const vertex = chainedTo === undefined ? { id: vertices.length, parallelism, nodeIds: [] } : vertices[chainedTo.fromPlanned.vertexId]!;
    if (chainedTo === undefined) vertices.push(vertex);
    vertex.nodeIds.push(node.id);
    nodes.set(node.id, {
      nodeId: node.id,
      name: node.name,
      operatorId,
      kind: node.kind === 'source' ? 'source' : 'operator',
      parallelism,
      vertexId: vertex.id,
      chainedFrom: chainedTo === undefined ? undefined : { nodeId: chainedTo.from, sideOutput: chainedTo.sideOutput },
    });
    if (chainedTo !== undefined) continue;
    for (const input of inputs) {
      edges.push({
        id: edges.length,
        fromNode: input.from,
        fromVertex: input.fromPlanned.vertexId,
        sideOutput: input.sideOutput,
        toVertex: vertex.id,
        partitioning: input.partitioning,
        inputIndex: input.inputIndex,
      });
    }
  }

  const fingerprint = JSON.stringify({
    maxParallelism: env.maxParallelism,
    exchange: env.exchange,
    autoWatermarkIntervalMs: env.autoWatermarkIntervalMs,
    stateCacheEntries: env.stateCacheEntries,
    nodes: [...nodes.values()],
    vertices,
    edges: edges.map((edge) => ({ ...edge, partitioning: edge.partitioning.kind })),
  });
  return {
    maxParallelism: env.maxParallelism,
    exchange: { ...env.exchange },
    autoWatermarkIntervalMs: env.autoWatermarkIntervalMs,
    stateCacheEntries: env.stateCacheEntries,
    nodes,
    vertices,
    edges,
    fingerprint,
  };
}

/** The planned node by id; a missing one is a planner bug. */
export function plannedNode(plan: PhysicalPlan, nodeId: number): PlannedNode {
  const node = plan.nodes.get(nodeId);
  if (node === undefined) throw new Error(`node ${nodeId} is not in the plan`);
  return node;
}
