// The job's JSON routes, as the page asks for them (same origin: the page is served by the job's own server).

/**
 * The JSON answer of `GET path`; a failed request or a non-2xx answer throws, with the server's `error` when it gave one.
 * @template T
 * @param {string} path
 * @returns {Promise<T>}
 */
export async function getJson(path) {
  return answerOf(path, await fetch(path, { cache: 'no-store' }));
}

/**
 * The JSON answer of `POST path` with an empty JSON object for a body.
 * @template T
 * @param {string} path
 * @returns {Promise<T>}
 */
export async function postJson(path) {
  return answerOf(path, await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
}

/**
 * @template T
 * @param {string} path
 * @param {Response} response
 * @returns {Promise<T>}
 */
async function answerOf(path, response) {
  const text = await response.text();
  /** @type {unknown} */
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${path} answered ${response.status} with something other than JSON`);
  }
  if (!response.ok) {
    const reason = typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : text;
    throw new Error(`${path} answered ${response.status}: ${reason}`);
  }
  return /** @type {T} */ (body);
}
