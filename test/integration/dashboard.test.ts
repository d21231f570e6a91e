import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { runJob } from '../../src/runtime/coordinator.ts';
import type { GraphObservation, WatermarkObservation } from '../../src/runtime/observation-types.ts';
import type { CheckpointsAnswer, DeadLettersAnswer } from '../../src/runtime/routes/observation-routes.ts';
import type { JobView } from '../../src/runtime/routes/job-route.ts';
import type { ObservedJobParams } from '../fixtures/observed-job.ts';
import { startChromium } from '../fixtures/browser.ts';
import { workDirs } from '../fixtures/work-dirs.ts';
import { routeJson } from '../fixtures/route-json.ts';

const JOB = fileURLToPath(new URL('../fixtures/observed-job.ts', import.meta.url));
const EVENTS = 2_000;
/** Readings the job's timestamp assigner rejects (every 500th from the 250th): dead letters. */
const BAD = 4;
const GOOD = EVENTS - BAD;
const dirs = workDirs('weir-dashboard-');

let browser: Browser | undefined;

beforeAll(async () => {
  // Installs Debian's chromium first when the machine has none (a minute on a fresh machine).
  browser = await startChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
});


/** A number as the page writes it ("3,992"). */
const numberIn = (text: string | null): number => Number((text ?? '').replaceAll(',', '').trim());

/** The text of `field` in the row `key` of `<table id=table>`. */
const cell = (page: Page, table: string, key: string, field: string): Promise<string | null> =>
  page.locator(`#${table} tr[data-key="${key}"] td[data-field="${field}"]`).textContent();

/** Until the page has drawn `more` refreshes after this moment. */
async function refreshed(page: Page, more = 2): Promise<void> {
  const now = Number(await page.locator('body').getAttribute('data-refreshes'));
  await page.waitForFunction(`Number(document.body.dataset.refreshes) >= ${now + more}`);
}

/** The job's address from its status line, and every record through every vertex (the source then holds). */
async function settledJob(base: () => string | undefined, ended: () => boolean): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (ended()) throw new Error('the job ended before the dashboard was read');
    const url = base();
    if (url !== undefined) {
      const graph = await routeJson<GraphObservation>(url, '/job/graph');
      const source = graph.vertices.find((vertex) => vertex.name.startsWith('held-readings'));
      const downstream = graph.vertices.filter((vertex) => vertex !== source);
      const checkpoints = await routeJson<CheckpointsAnswer>(url, '/job/checkpoints');
      if (source?.recordsOut === GOOD && downstream.length === 3 && downstream.every((vertex) => vertex.recordsIn === (vertex.name === 'dead-letters' ? BAD : GOOD)) && checkpoints.counts.completed > 0) return url;
    }
    if (Date.now() > deadline) throw new Error('the job never took in all its readings');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the web dashboard, in headless Chromium, against a running job's server", () => {
  it('shows the numbers the REST API gives, draws its charts, takes a savepoint and stops the job from its buttons', { timeout: 120_000 }, async () => {
    const dir = dirs();
    const params: ObservedJobParams = { events: EVENTS, releaseFile: join(dir, 'release'), outputDirectory: join(dir, 'out'), slowSinkMs: 3 };
    let base: string | undefined;
    let ended = false;
    const running = runJob({ jobModule: JOB, params, httpPort: 0, parallelism: 2, checkpointDir: join(dir, 'checkpoints'), threads: 1, onStatus: (line) => (base ??= /^dashboard at (http:\/\/\S+)\/$/.exec(line)?.[1]) });
    void running.finally(() => (ended = true)).catch(() => {});
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    try {
      const url = await settledJob(() => base, () => ended);
      await page.goto(`${url}/?refresh=200`);
      await refreshed(page);

      // The header against GET /job.
      const job = await routeJson<JobView>(url, '/job');
      expect(await page.locator('#job-name').textContent()).toBe(job.name);
      expect(await page.locator('#job-state').textContent()).toBe('running');
      expect(numberIn(await page.locator('#job-attempt').textContent())).toBe(job.attempt);
      expect(numberIn(await page.locator('#job-restarts').textContent())).toBe(job.restarts);
      expect(numberIn(await page.locator('#job-parallelism').textContent())).toBe(2);

      // The graph and its table against GET /job/graph: the counts hold still while the source waits.
      const graph = await routeJson<GraphObservation>(url, '/job/graph');
      expect(await page.locator('#graph g.vertex').count()).toBe(graph.vertices.length);
      for (const vertex of graph.vertices) {
        const key = String(vertex.id);
        expect(await cell(page, 'vertices', key, 'name')).toBe(vertex.name);
        expect(numberIn(await cell(page, 'vertices', key, 'parallelism'))).toBe(vertex.parallelism);
        expect(numberIn(await cell(page, 'vertices', key, 'records-in'))).toBe(vertex.recordsIn);
        expect(numberIn(await cell(page, 'vertices', key, 'records-out'))).toBe(vertex.recordsOut);
        expect(await page.locator(`#graph g.vertex[data-vertex="${key}"]`).getAttribute('class')).toMatch(/^vertex (ok|low|high)$/);
      }
      expect(graph.vertices.reduce((sum, vertex) => sum + vertex.recordsIn, 0)).toBe(GOOD * 2 + BAD);

      // Watermarks per operator subtask against GET /job/watermarks.
      const watermarks = await routeJson<WatermarkObservation>(url, '/job/watermarks');
      for (const operator of watermarks.operators) {
        for (const subtask of operator.subtasks) {
          const key = `${operator.operatorId}/${subtask.subtask}`;
          expect(numberIn(await cell(page, 'watermarks', key, 'output-watermark')), key).toBe(subtask.outputWatermark);
        }
      }
      expect(watermarks.operators.length).toBeGreaterThan(0);

      // Dead letters against GET /job/dead-letters.
      const deadLetters = await routeJson<DeadLettersAnswer>(url, '/job/dead-letters');
      expect(deadLetters.total).toBe(BAD);
      expect(numberIn((await page.locator('#dead-letters-total').textContent())!.split(' ')[0]!)).toBe(deadLetters.total);

      // Checkpoints go on completing: what the page shows lies between two readings of the route around its refresh.
      const before = await routeJson<CheckpointsAnswer>(url, '/job/checkpoints');
      await refreshed(page);
      const shown = numberIn((await page.locator('#checkpoint-counts').textContent())!.split(' ')[0]!);
      const after = await routeJson<CheckpointsAnswer>(url, '/job/checkpoints');
      expect(shown).toBeGreaterThanOrEqual(before.counts.completed);
      expect(shown).toBeLessThanOrEqual(after.counts.completed);

      // The health score and a row per component of GET /job/health.
      expect(await page.locator('#health-components tr[data-key]').count()).toBe(7);
      expect(numberIn(await page.locator('#health-score').textContent())).toBeGreaterThanOrEqual(0);

      // uPlot drew the charts over time from several readings; the job reads no Kafka topic, and the page says so.
      for (const chart of ['throughput', 'backpressure', 'checkpoints', 'watermarks']) {
        const element = page.locator(`#chart-${chart}`);
        expect(Number(await element.getAttribute('data-points')), chart).toBeGreaterThanOrEqual(2);
        expect(await element.locator('canvas').count(), chart).toBe(1);
      }
      expect(await page.locator('#chart-lag').getAttribute('data-series')).toBe('0');
      expect(await page.locator('#kafka-lag-total').textContent()).toBe('The job reads no Kafka topic.');

      // Another site's page may not act on the job (a form posts across origins without asking); the page itself may.
      for (const origin of ['http://evil.example', 'null']) {
        const refused = await fetch(`${url}/job/savepoints`, { method: 'POST', headers: { origin, 'content-type': 'text/plain' }, body: '{}' });
        expect(refused.status, origin).toBe(403);
        expect(((await refused.json()) as { error: string }).error).toContain(`a request from ${origin} to act on the job`);
      }
      expect((await routeJson<CheckpointsAnswer>(url, '/job/checkpoints')).history.filter((entry) => entry.kind === 'savepoint')).toEqual([]);

      // "Take savepoint": the page says where it went; it is complete on disk and in the route's history.
      await page.click('#savepoint');
      await page.locator('#action-result', { hasText: /^Savepoint \d+: / }).waitFor({ timeout: 30_000 });
      const result = /^Savepoint (\d+): (\S+)$/.exec((await page.locator('#action-result').textContent()) ?? '');
      expect(result, 'the savepoint button said where the savepoint went').not.toBeNull();
      const [, id, path] = result!;
      expect(existsSync(join(path!, '_metadata'))).toBe(true);
      const history = await routeJson<CheckpointsAnswer>(url, '/job/checkpoints');
      expect(history.history).toContainEqual(expect.objectContaining({ checkpointId: Number(id), kind: 'savepoint', status: 'completed', path }));
      await refreshed(page);
      expect(await cell(page, 'checkpoint-history', id!, 'kind')).toBe('savepoint');

      // A screenshot of the whole page, for whoever looks at the test's directory, with something drawn in it.
      const screenshot = await page.screenshot({ fullPage: true });
      await writeFile(join(dir, 'dashboard.png'), screenshot);
      expect(screenshot.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(screenshot.readUInt32BE(16)).toBe(1400);
      expect(screenshot.readUInt32BE(20)).toBeGreaterThan(1000);
      expect(screenshot.length).toBeGreaterThan(50_000);

      // Nothing went wrong in the page (once the job stops, its server no longer answers the page's requests).
      expect(pageErrors).toEqual([]);

      // "Stop with savepoint", confirmed: the job ends with that savepoint, and the page says which.
      page.once('dialog', (dialog) => void dialog.accept());
      await page.click('#stop');
      const savepoint = (await running).stopped?.savepoint;
      expect(savepoint).toMatch(/chk-\d+$/);
      await page.locator('#action-result', { hasText: /^Stopped with savepoint \d+: / }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#action-result').textContent()).toBe(`Stopped with savepoint ${/chk-(\d+)$/.exec(savepoint!)![1]}: ${savepoint}`);
      // The job's server went with its process: the page says so and offers nothing to press.
      await page.locator('#job-state', { hasText: 'not answering' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#connection').textContent()).toContain("The job's server does not answer");
      expect(await page.locator('#savepoint').isDisabled()).toBe(true);
      expect(await page.locator('#stop').isDisabled()).toBe(true);
    } finally {
      await page.close();
      await writeFile(params.releaseFile, '');
      await running.catch(() => undefined);
    }
  });
});
