/**
 * The container files (the scaffold's, and weir's own Dockerfile for its Kafka example), checked without a Docker engine or a cluster: the Kubernetes manifest against the
 * Kubernetes API's schemas (kubernetes-models: validators generated from the API's OpenAPI definitions, from the npm
 * registry), and both files against what the job needs: the probes on the port the entry command serves, the
 * checkpoints on the volume, a fixed job id, a non-root user, exec form. The entry command itself runs in
 * test/integration/scaffold.test.ts. The schemas allow fields they do not know (as the API server's non-strict
 * validation does), so each field the job relies on is read back by name below.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';
import { entryCommand, finalStage, flagValue, only, readDockerfile } from '../../fixtures/dockerfile.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TEMPLATE = `${ROOT}templates/project/`;
/** `weir new` puts the project's name for the placeholder. */
const NAME = 'demo';

function manifest(): Record<string, unknown>[] {
  const text = readFileSync(`${TEMPLATE}k8s/statefulset.yaml`, 'utf8').replaceAll('__NAME__', NAME);
  return parseAllDocuments(text).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as Record<string, unknown>;
  });
}

const stage = finalStage(readDockerfile(`${TEMPLATE}Dockerfile`));
const command = entryCommand(stage);

// The scaffold's image, and weir's own for its Kafka example (built from the checkout's packed package).
describe.each([
  { image: "the scaffold's", dockerfile: `${TEMPLATE}Dockerfile`, job: 'src/job.ts', jobId: '__NAME__' },
  { image: "weir's example", dockerfile: `${ROOT}Dockerfile`, job: 'node_modules/weir/examples/feedback-scores-kafka.ts', jobId: 'feedback-scores-kafka' },
])('$image Dockerfile', ({ dockerfile, job, jobId }) => {
  const all = readDockerfile(dockerfile);
  const last = finalStage(all);
  const entry = entryCommand(last);

  test('builds with every dependency in one stage and runs the production dependencies as a non-root user in another', () => {
    expect(all.filter(({ name }) => name === 'FROM').length).toBeGreaterThanOrEqual(2);
    const installs = (stage: readonly { name: string; args: string }[]): string[] => stage.filter(({ name, args }) => name === 'RUN' && /npm (ci|install)/.test(args)).map(({ args }) => args);
    expect(installs(all.slice(0, all.length - last.length)).some((args) => !args.includes('--omit=dev'))).toBe(true);
    const runtime = installs(last);
    expect(runtime.length).toBeGreaterThan(0);
    expect(runtime.every((args) => args.includes('--omit=dev'))).toBe(true);
    expect(only(last, 'USER')).not.toMatch(/^(root|0)(:|$)/);
  });

  test('runs weir as PID 1 in exec form, serving on all interfaces, with a fixed job id and checkpoints in the volume', () => {
    expect(entry.slice(0, 4)).toEqual(['node', 'node_modules/weir/bin/weir.js', 'run', job]);
    if (job.startsWith('node_modules/weir/')) expect(existsSync(join(ROOT, job.slice('node_modules/weir/'.length)))).toBe(true);
    expect(flagValue(entry, '--http-host')).toBe('0.0.0.0');
    expect(flagValue(entry, '--http-port')).toMatch(/^\d+$/);
    expect(flagValue(entry, '--job-id')).toBe(jobId);
    const checkpoints = posix.resolve(only(last, 'WORKDIR'), flagValue(entry, '--checkpoint-dir')!);
    expect(checkpoints.startsWith(`${only(last, 'VOLUME')}/`), checkpoints).toBe(true);
  });

  test('checks /healthz on the port the entry command serves', () => {
    expect(only(last, 'HEALTHCHECK')).toContain(`127.0.0.1:${flagValue(entry, '--http-port')}/healthz`);
    expect(only(last, 'EXPOSE')).toBe(flagValue(entry, '--http-port'));
  });
});

describe("the scaffold's Kubernetes manifest", () => {
  test('is a Service and a StatefulSet that the Kubernetes schemas accept', () => {
    const [service, statefulSet, ...rest] = manifest();
    expect(rest).toEqual([]);
    expect(() => new Service(service as never).validate()).not.toThrow();
    expect(() => new StatefulSet(statefulSet as never).validate()).not.toThrow();
  });

  test('the schema check is live: a wrong type or a missing field fails it', () => {
    const statefulSet = manifest()[1] as unknown as IStatefulSet;
    const broken = structuredClone(statefulSet) as unknown as { spec: { replicas: unknown; template: { spec: { containers?: unknown } } } };
    broken.spec.replicas = 'one';
    expect(() => new StatefulSet(broken as never).validate()).toThrow(/replicas must be integer/);
    const noContainers = structuredClone(statefulSet) as unknown as { spec: { template: { spec: { containers?: unknown } } } };
    delete noContainers.spec.template.spec.containers;
    expect(() => new StatefulSet(noContainers as never).validate()).toThrow(/containers/);
  });

  test('probes, volume, grace period and scrape annotations fit the image', () => {
    const statefulSet = manifest()[1] as unknown as IStatefulSet;
    const pod = statefulSet.spec!.template;
    const [container, ...others] = pod.spec!.containers;
    expect(others).toEqual([]);
    const port = Number(flagValue(command, '--http-port'));
    const http = container!.ports!.find((candidate) => candidate.name === 'http');
    expect(http?.containerPort).toBe(port);
    expect(container!.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container!.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(pod.metadata!.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
    // The checkpoints live on the claim each pod keeps across restarts, where the entry command writes them.
    const claim = statefulSet.spec!.volumeClaimTemplates!.map((template) => template.metadata!.name);
    const mount = container!.volumeMounts!.find((candidate) => claim.includes(candidate.name));
    expect(mount?.mountPath).toBe(only(stage, 'VOLUME'));
    expect(statefulSet.spec!.replicas).toBe(1);
    // Kubernetes' default (30 s) is short for a savepoint of a job with state; the run test checks one fits.
    expect(pod.spec!.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
    expect(pod.spec!.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.spec!.securityContext?.runAsUser).not.toBe(0);
  });
});
