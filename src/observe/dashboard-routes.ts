import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Route } from './http-server.ts';

/**
 * The web dashboard's files (dashboard/ at the package's root, beside src/ and dist/): plain JavaScript modules, HTML
 * and CSS served as they are, so the job's process needs no build step to show it. The page reads the job's JSON
 * routes; uPlot (an npm dependency) draws its charts.
 */
const DASHBOARD = new URL('../../dashboard/', import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The page's own files, by the name it asks for them under /dashboard/. */
const PAGE_FILES = ['dashboard.css', 'app.js', 'api.js', 'format.js', 'graph-view.js', 'panels.js', 'charts.js', 'history.js'] as const;

/** uPlot's browser build and its stylesheet, from wherever npm put the package. */
function uplotFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  return { 'uplot.js': require.resolve('uplot/dist/uPlot.iife.min.js'), 'uplot.css': require.resolve('uplot/dist/uPlot.min.css') };
}

function fileRoute(path: string, file: string, description: string): Route {
  const type = CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  return {
    method: 'GET',
    path,
    description,
    // Read at each request (a few KiB, a page load now and then): nothing is held in memory for a page nobody opens.
    answer: async () => ({ contentType: type, body: await readFile(file, 'utf8'), headers: { 'cache-control': 'no-cache' } }),
  };
}

/** `GET /`: the web dashboard (docs/operations.md, "The dashboard"), and the files it loads under /dashboard/. */
export function dashboardRoutes(): Route[] {
  const files = [...PAGE_FILES.map((name) => [name, fileURLToPath(new URL(name, DASHBOARD))] as const), ...Object.entries(uplotFiles())];
  return [
    fileRoute('/', fileURLToPath(new URL('index.html', DASHBOARD)), 'the web dashboard: graph, rates, backpressure, checkpoints, watermarks, lag, health; savepoint and stop'),
    ...files.map(([name, file]) => fileRoute(`/dashboard/${name}`, file, `the dashboard's ${name}`)),
  ];
}
