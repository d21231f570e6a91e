import type { StatusReport } from './messages.ts';
import type { PhysicalPlan } from './planner.ts';

/** One operator subtask's latest status of one kind, as the job's process keeps it. */
export interface ReportedStatus {
  readonly operator: string;
  readonly operatorId: string;
  readonly subtask: number;
  readonly status: unknown;
  /** When it reached the job's process (ms since the epoch). */
  readonly updatedAt: number;
}

export interface OperatorInfo {
  readonly operator: string;
  readonly operatorId: string;
  readonly parallelism: number;
}

/**
 * The statuses operator subtasks report (RuntimeContext.reportStatus), the latest per (operator, subtask, kind), kept
 * for the life of the job: a restarted attempt's subtasks replace them as they report again. Metrics and the job's
 * HTTP routes read it.
 */
export class JobStatus {
  private readonly byKey = new Map<string, ReportedStatus & { readonly kind: string }>();
  private jobName: string | undefined;
  private operatorList: OperatorInfo[] = [];

  /** The job's name and operators, once it is planned (the HTTP server answers before). */
  describe(jobName: string, plan: PhysicalPlan): void {
    this.jobName = jobName;
    this.operatorList = [...plan.nodes.values()].map((node) => ({ operator: node.name, operatorId: node.operatorId, parallelism: node.parallelism }));
  }

  get job(): string | undefined {
    return this.jobName;
  }

  get operators(): readonly OperatorInfo[] {
    return this.operatorList;
  }

  record(reports: readonly StatusReport[], at: number = Date.now()): void {
    for (const { operator, operatorId, subtask, kind, json } of reports) {
      this.byKey.set(`${operatorId}\u0000${subtask}\u0000${kind}`, { operator, operatorId, subtask, kind, status: JSON.parse(json), updatedAt: at });
    }
  }

  /** Every subtask's latest status of `kind`, by operator id and subtask. */
  ofKind(kind: string): ReportedStatus[] {
    return this.matching((entry) => entry.kind === kind);
  }

  /** Every subtask's latest statuses of `kind` and of kinds `kind@<qualifier>` (one per cluster, say). */
  ofKindPrefix(kind: string): ReportedStatus[] {
    return this.matching((entry) => entry.kind === kind || entry.kind.startsWith(`${kind}@`));
  }

  private matching(include: (entry: { readonly kind: string }) => boolean): ReportedStatus[] {
    return [...this.byKey.values()]
      .filter(include)
      .sort((a, b) => a.operatorId.localeCompare(b.operatorId) || a.subtask - b.subtask)
      .map(({ operator, operatorId, subtask, status, updatedAt }) => ({ operator, operatorId, subtask, status, updatedAt }));
  }
}
