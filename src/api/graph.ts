import type { KeySelector } from '../operators/functions.ts';
import type { OperatorFactory } from '../operators/operator.ts';
import type { Source } from '../connectors/source.ts';
import type { WatermarkStrategy } from './watermark-strategy.ts';

export type Partitioning =
  | { readonly kind: 'forward' }
  | { readonly kind: 'rebalance' }
  | { readonly kind: 'broadcast' }
  | { readonly kind: 'hash'; readonly keySelector: KeySelector<unknown, unknown> };

/** An edge into a node. `partitioning` undefined means forward when parallelism matches, else rebalance. */
export interface NodeInput {
  readonly from: number;
  /** Reads a side output of `from` instead of its main output. */
  readonly sideOutput: string | undefined;
  readonly partitioning: Partitioning | undefined;
  /** Logical input of the consuming operator (1 only for second inputs of two-input operators). */
  readonly inputIndex: number;
}

interface NodeBase {
  readonly id: number;
  name: string;
  uid: string | undefined;
  parallelism: number | undefined;
  readonly inputs: readonly NodeInput[];
}

export interface SourceNode extends NodeBase {
  readonly kind: 'source';
  readonly source: Source<unknown>;
  readonly watermarkStrategy: WatermarkStrategy<unknown> | undefined;
}

export interface OperatorNode extends NodeBase {
  readonly kind: 'operator';
  readonly createOperator: OperatorFactory;
  /** Set for operators that run after keyBy: they get keyed state. */
  readonly keySelector: KeySelector<unknown, unknown> | undefined;
  readonly isSink: boolean;
}

/** Virtual: resolved by the planner into the inputs of its consumers. */
export interface UnionNode extends NodeBase {
  readonly kind: 'union';
}

export type LogicalNode = SourceNode | OperatorNode | UnionNode;

/** The logical dataflow a job builds; node ids are creation order, so every thread derives the same ids. */
export class LogicalGraph {
  readonly nodes: LogicalNode[] = [];

  add<N extends LogicalNode>(make: (id: number) => N): N {
    const node = make(this.nodes.length);
    this.nodes.push(node);
    return node;
  }

  node(id: number): LogicalNode {
    const node = this.nodes[id];
    if (node === undefined) throw new Error(`no logical node ${id}`);
    return node;
  }
}
