import { describe, expect, it } from 'vitest';
import { clusterMetadata } from '../../../src/connectors/multi-region/metadata-providers.ts';
import { MultiClusterKafkaSource } from '../../../src/connectors/multi-region/multi-cluster-source.ts';

const metadata = clusterMetadata.static({
  clusters: { a: { brokers: ['127.0.0.1:1'] }, b: { brokers: ['127.0.0.1:2'] } },
  streams: { ratings: [{ cluster: 'a', topics: ['ratings'] }, { cluster: 'b', topics: ['ratings'] }] },
});

describe('the multi-cluster source refuses options that would lose data', () => {
  it('refuses reading uncommitted records with the epoch dedup on (an aborted copy would win over the complete one)', () => {
    expect(() => MultiClusterKafkaSource.json({ stream: 'ratings', metadata, groupId: 'g', readUncommitted: true })).toThrow('set `dedup: false` with `readUncommitted: true`');
    expect(() => MultiClusterKafkaSource.json({ stream: 'ratings', metadata, groupId: 'g', readUncommitted: true, dedup: false })).not.toThrow();
  });
});
