import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRecordId, RECORD_ID_HEADER } from 'weir/kafka';
import { runJob } from 'weir/testing';
import { MAX_OUT_OF_ORDERNESS_MS } from '../../examples/feedback-scores-kafka.ts';
import type { MultiRegionScoresParams, WindowScore } from '../../examples/feedback-scores-multi-region.ts';
import { localMetadata, onEvery, writeMetadataFile } from '../../scripts/kafka-metadata.ts';
import { exampleRatings, expectedScores, JITTER_MS, scoresByWindow } from '../fixtures/example-ratings.ts';
import { produceRecords, uniqueTopic, useKafkaClusters } from '../fixtures/kafka-clusters.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/feedback-scores-multi-region.ts', import.meta.url));
const RATINGS = 3_000;

const kafka = useKafkaClusters(2);
const dir = mkdtempSync(join(tmpdir(), 'weir-multi-region-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/feedback-scores-multi-region.ts', () => {
  it('scores the ratings of both regions, each window once, on the primary cluster of scores (failover mode, both healthy)', { timeout: 180_000 }, async () => {
    expect(JITTER_MS).toBeLessThan(MAX_OUT_OF_ORDERNESS_MS);
    // The metadata is what the README's `npm run kafka -- start --clusters 2 --topics ratings:4,scores:4 --metadata
    // clusters.json` writes, but for the topics' names: the pool's clusters hold what earlier test files wrote, so each
    // stream gets a topic of its own (that command names a stream's topic as the stream).
    const topics = { ratings: uniqueTopic('ratings'), scores: uniqueTopic('scores') };
    await kafka.createTopic(topics.ratings, 4);
    await kafka.createTopic(topics.scores, 4);
    const clusters = join(dir, 'clusters.json');
    await writeMetadataFile(clusters, localMetadata(kafka.clusters, { ratings: onEvery(kafka.clusters, topics.ratings), scores: onEvery(kafka.clusters, topics.scores) }));

    // Half of the users rate in each region.
    const ratings = exampleRatings(RATINGS);
    await Promise.all(
      [0, 1].map((region) =>
        produceRecords(
          kafka.brokers(region),
          topics.ratings,
          ratings.filter((rating) => rating.answerId % 2 === region).map((rating) => ({ key: String(rating.answerId), value: JSON.stringify(rating) })),
        ),
      ),
    );

    const params: MultiRegionScoresParams = { clusters, bounded: true };
    const result = await runJob({ jobModule: EXAMPLE, params, parallelism: 2, threads: 2 });
    expect(result.restarts).toBe(0);
    expect(result.operators.reduce((sum, o) => sum + o.lateRecordsDropped, 0)).toBe(0);

    const [primary, secondary] = await Promise.all([0, 1].map((index) => kafka.readCommitted(index, topics.scores)));
    // Failover mode with both clusters healthy: every epoch on the first placement, none on the second.
    expect(secondary, 'scores on eu-west').toEqual([]);
    const scores = primary!.map((record) => {
      const score = JSON.parse(record.value!) as WindowScore;
      expect(record.key).toBe(score.modelVersion);
      expect(decodeRecordId(record.headers[RECORD_ID_HEADER])?.share, 'the share of the weir-id header').toBe(kafka.ids[0]);
      return score;
    });
    expect(scoresByWindow(scores)).toEqual(expectedScores(ratings));
  });
});
