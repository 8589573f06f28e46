// Calls to the hub's HTTP API: JSON in and out, the key attached, a 401 answered by asking for a key and retrying.
import { askForCredentials, bearer } from './auth.js';

/** A failed request: status and, when the hub sent one, its problem+json body. */
export class ApiError extends Error {
  constructor(status, problem, fallback) {
    super(problem?.detail ?? problem?.title ?? fallback);
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API; answers { status, body } with the parsed JSON body (null for 204). */
export async function call(method, path, body, headers = {}) {
  for (;;) {
    const request = { method, headers: { Accept: 'application/json', ...headers } };
    const credential = bearer();
    if (credential) request.headers.Authorization = `Bearer ${credential}`;
    if (body !== undefined) {
      request.headers['Content-Type'] = 'application/json';
      request.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, request);
    } catch (error) {
      throw new ApiError(0, null, `The hub did not answer ${method} ${path}: ${error.message}`);
    }
    const text = await response.text();
    let parsed = null;
    if (text) {
      try { parsed = JSON.parse(text); } catch { parsed = null; }
    }
    if (response.status === 401) {
      // Asks once for all waiting requests; rejects (and so fails this call) when the person dismisses the dialog.
      await askForCredentials(parsed?.detail);
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, parsed, `${method} ${path} answered ${response.status}`);
    return { status: response.status, body: parsed };
  }
}

export const get = async (path) => (await call('GET', path)).body;
export const post = async (path, body) => (await call('POST', path, body ?? {})).body;
export const patch = async (path, body) => (await call('PATCH', path, body)).body;
export const del = async (path) => (await call('DELETE', path)).body;

/** Builds a path with a query string from an object; arrays repeat the name, empty values are left out. */
export function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of [].concat(value)) {
      if (item !== undefined && item !== null && item !== '') params.append(name, String(item));
    }
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
