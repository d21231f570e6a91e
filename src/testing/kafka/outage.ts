/**
 * Whole-cluster outages of a local cluster (broker.ts), standing in for a region going away:
 * - `kill`: the broker JVM is SIGKILLed (connections refused at once) and started again on the same data dirs and
 *   ports when the outage ends; what it committed before the kill is on disk and comes back with it.
 * - `pause`: the JVM is SIGSTOPped and SIGCONTed when the outage ends. The kernel still accepts connections, but
 *   nothing answers: every request hangs until the client's own timeout, the harder case for a client.
 * A cluster is single-node (broker and controller in one JVM), so either mode takes the whole cluster down.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { probeKafka } from '../../connectors/kafka/client/index.ts';
import { WeirError } from '../../core/errors.ts';
import { brokerPid, startBroker, stopBroker, type Cluster } from './broker.ts';

export type OutageMode = 'kill' | 'pause';

/** How long a cluster may take to answer again after an outage: a restarted JVM needs a minute on a loaded machine. */
const READY_TIMEOUT_MS = 120_000;

export type BrokerState = 'running' | 'paused' | 'down';

/** Whether the cluster's broker JVM runs, is stopped by SIGSTOP, or is gone. */
export function brokerState(cluster: Cluster): BrokerState {
  const pid = brokerPid(cluster);
  if (pid === undefined) return 'down';
  try {
    // /proc/<pid>/stat: "pid (comm) state ...": T is stopped by a signal.
    return /\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) ? 'paused' : 'running';
  } catch {
    return 'running'; // not Linux: a pid that answers kill(0) runs as far as we can tell
  }
}

/** An outage in progress: the cluster is down until `end` brings it back (and resolves with it, answering again). */
export interface Outage {
  readonly cluster: Cluster;
  readonly mode: OutageMode;
  /** Date.now() when the broker was killed or stopped. */
  readonly since: number;
  end(options?: { readyTimeoutMs?: number }): Promise<Cluster>;
}

/** Takes the cluster down now: SIGKILL (awaited until the JVM is gone) or SIGSTOP. */
export async function beginOutage(cluster: Cluster, mode: OutageMode): Promise<Outage> {
  const pid = brokerPid(cluster);
  if (pid === undefined) throw new WeirError(`cluster ${cluster.index} (${cluster.address}) has no running broker to take down`);
  if (mode === 'kill') await stopBroker(cluster, { graceMs: 0 });
  else await stopProcess(cluster, pid);
  const since = Date.now();
  let ended: Promise<Cluster> | undefined;
  return {
    cluster,
    mode,
    since,
    end: ({ readyTimeoutMs = READY_TIMEOUT_MS } = {}) => (ended ??= mode === 'kill' ? startBroker(cluster, readyTimeoutMs) : resume(cluster, pid, readyTimeoutMs)),
  };
}

/** SIGSTOP, then waits until every thread of the JVM has stopped: the signal's group stop is not instant under load. */
async function stopProcess(cluster: Cluster, pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + 10_000;
  while (brokerState(cluster) !== 'paused') {
    if (Date.now() > deadline) throw new WeirError(`cluster ${cluster.index} (${cluster.address}): its broker did not stop within 10 s of SIGSTOP`);
    await sleep(10);
  }
}

/**
 * Takes the cluster down for `durationMs` and brings it back; resolves with the cluster once it answers metadata
 * requests again (a killed broker has a new pid). An abort ends the outage early, never leaving the cluster down.
 */
export async function clusterOutage(cluster: Cluster, { mode, durationMs, signal }: { mode: OutageMode; durationMs: number; signal?: AbortSignal }): Promise<Cluster> {
  const outage = await beginOutage(cluster, mode);
  try {
    await sleep(durationMs, undefined, signal === undefined ? {} : { signal });
  } catch {
    // aborted: end the outage now
  }
  return outage.end();
}

/** SIGCONT, then waits until the cluster answers a metadata request (after a long pause it re-registers its broker). */
async function resume(cluster: Cluster, pid: number, readyTimeoutMs: number): Promise<Cluster> {
  process.kill(pid, 'SIGCONT');
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    try {
      await probeKafka(cluster.address);
      return cluster;
    } catch (error) {
      if (Date.now() > deadline) throw new WeirError(`cluster ${cluster.index} (${cluster.address}) does not answer ${readyTimeoutMs} ms after SIGCONT`, { cause: error });
      await sleep(250);
    }
  }
}
