import { createServer, type Server } from 'node:http';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterMetadata } from '../../../src/connectors/multi-region/cluster-metadata.ts';
import { clusterMetadata } from '../../../src/connectors/multi-region/metadata-providers.ts';
import { MetadataSubscription } from '../../../src/connectors/multi-region/metadata-subscription.ts';
import { describeMetadataChange } from '../../../src/connectors/multi-region/metadata-changes.ts';
import { parseClusterMetadata } from '../../../src/connectors/multi-region/metadata-validation.ts';

const twoRegions: ClusterMetadata = {
  clusters: { 'us-east': { brokers: ['127.0.0.1:9092'] }, 'eu-west': { brokers: '127.0.0.1:9093, 127.0.0.1:9094' } },
  streams: { ratings: [{ cluster: 'us-east', topics: ['ratings'] }, { cluster: 'eu-west', topics: ['ratings'] }] },
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function until<T>(check: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const value = check();
      if (value !== undefined) resolve(value);
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out waiting for a metadata change'));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

describe('cluster metadata validation', () => {
  it('accepts a cluster set and normalises broker strings to lists', () => {
    const parsed = parseClusterMetadata(twoRegions, 'code');
    expect(parsed.clusters['eu-west']!.brokers).toEqual(['127.0.0.1:9093', '127.0.0.1:9094']);
    expect(parsed.streams['ratings']!.map((placement) => placement.cluster)).toEqual(['us-east', 'eu-west']);
  });

  it.each([
    [{ clusters: {}, streams: {} }, 'clusters names no cluster'],
    [{ ...twoRegions, streams: { ratings: [{ cluster: 'eu-wst', topics: ['r'] }] } }, `streams.ratings[0].cluster "eu-wst" is not a cluster id (known: us-east, eu-west)`],
    [{ ...twoRegions, clusters: { 'us|east': { brokers: ['a:1'] } } }, 'clusters.us|east is not a valid cluster id'],
    [{ ...twoRegions, clusters: { a: { brokers: [] } } }, 'clusters.a.brokers must be a non-empty list'],
    [{ ...twoRegions, streams: { ratings: [{ cluster: 'us-east', topics: [] }] } }, 'streams.ratings[0].topics must be a non-empty list of topic names'],
    [{ ...twoRegions, streams: { ratings: [{ cluster: 'us-east', topics: ['a'] }, { cluster: 'us-east', topics: ['b'] }] } }, 'names us-east a second time'],
    [{ ...twoRegions, migration: { from: 'us-east', to: 'eu-west', phase: 'halfway' } }, 'migration.phase must be one of dual-read'],
    ['[]', 'must be an object with "clusters" and "streams"'],
  ])('refuses %j, saying where and why', (value, message) => {
    expect(() => parseClusterMetadata(value, 'the file x.json')).toThrow(`cluster metadata from the file x.json: `);
    expect(() => parseClusterMetadata(value, 'the file x.json')).toThrow(message);
  });

  it('describes each change for the log', () => {
    const after: ClusterMetadata = {
      clusters: { 'eu-west': twoRegions.clusters['eu-west']!, 'ap-south': { brokers: ['127.0.0.1:9095'] } },
      streams: { ratings: [{ cluster: 'eu-west', topics: ['ratings'] }, { cluster: 'ap-south', topics: ['ratings'] }] },
      migration: { from: 'us-east', to: 'ap-south', phase: 'dual-read' },
    };
    expect(describeMetadataChange(twoRegions, after)).toEqual([
      'cluster ap-south added',
      'cluster us-east removed',
      'stream ratings: [us-east:ratings, eu-west:ratings] -> [eu-west:ratings, ap-south:ratings]',
      'migration: none -> us-east -> ap-south (dual-read)',
    ]);
  });
});

describe('the watched-file provider', () => {
  it('delivers an edit and a replacing rename, skips an invalid version, and applies changes only at a barrier', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-metadata-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'clusters.json');
    writeFileSync(file, JSON.stringify(twoRegions));
    const subscription = new MetadataSubscription(clusterMetadata.file(file, { pollMs: 20 }), { test: 'file' });
    cleanups.push(() => subscription.close());
    expect((await subscription.start()).streams['ratings']).toHaveLength(2);
    expect(subscription.takeAtBarrier(1)).toBeUndefined();

    const oneRegion = { ...twoRegions, streams: { ratings: [{ cluster: 'eu-west', topics: ['ratings'] }] } };
    writeFileSync(file, JSON.stringify(oneRegion));
    // Not in force before a barrier takes it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(subscription.current.streams['ratings']).toHaveLength(2);
    expect((await until(() => subscription.takeAtBarrier(2))).streams['ratings']).toEqual([{ cluster: 'eu-west', topics: ['ratings'] }]);
    expect(subscription.current.streams['ratings']).toHaveLength(1);

    // A half-written file (not JSON) is skipped; the good one written after it (by rename, as editors do) arrives.
    writeFileSync(file, '{"clusters": {');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(subscription.takeAtBarrier(3)).toBeUndefined();
    writeFileSync(join(dir, 'next.json'), JSON.stringify(twoRegions));
    renameSync(join(dir, 'next.json'), file);
    const back = await until(() => subscription.takeAtBarrier(4));
    expect(back.streams['ratings']).toHaveLength(2);
  });

  it('fails at load with the file and the fault named', async () => {
    await expect(clusterMetadata.file('/nonexistent/clusters.json').load()).rejects.toThrow('cannot read cluster metadata from the file /nonexistent/clusters.json');
  });
});

describe('the polled HTTP provider', () => {
  it('loads, then delivers a changed answer; a failing answer keeps the last good metadata', async () => {
    let answer: { status: number; body: string } = { status: 200, body: JSON.stringify(twoRegions) };
    const server: Server = createServer((_request, response) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => server.close());
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/clusters`;
    const subscription = new MetadataSubscription(clusterMetadata.http(url, { pollMs: 20 }), { test: 'http' });
    cleanups.push(() => subscription.close());
    expect(Object.keys((await subscription.start()).clusters)).toEqual(['us-east', 'eu-west']);

    answer = { status: 503, body: 'unavailable' };
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(subscription.takeAtBarrier(1)).toBeUndefined();
    answer = { status: 200, body: JSON.stringify({ ...twoRegions, streams: { ratings: [{ cluster: 'us-east', topics: 'ratings' }] } }) };
    const changed = await until(() => subscription.takeAtBarrier(2));
    expect(changed.streams['ratings']).toEqual([{ cluster: 'us-east', topics: ['ratings'] }]);
  });
});
