// api.js: the console's only way to the server: the REST dialect (/v1/...),
// exactly the calls a curl user makes.  A 401 asks for the bearer token,
// which is kept in sessionStorage (gone with the tab) and sent from then on.

const TOKEN_KEY = 'stepd.token';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

let askToken = async () => null;

/** The UI registers how to ask for a token (a dialog); resolves null when the user cancels. */
export function onTokenNeeded(fn) { askToken = fn; }

export function forgetToken() { sessionStorage.removeItem(TOKEN_KEY); }

async function send(method, path, body) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
}

/** Calls a REST route; resolves with the parsed JSON body (null for 204), rejects with ApiError. */
export async function api(method, path, body) {
  for (;;) {
    const r = await send(method, path, body);
    if (r.status === 401) {
      const token = await askToken(sessionStorage.getItem(TOKEN_KEY) != null);
      if (token == null) throw new ApiError(401, { error: 'Unauthorized', message: 'a bearer token is needed' });
      sessionStorage.setItem(TOKEN_KEY, token);
      continue;
    }
    const text = r.status === 204 ? '' : await r.text();
    let json = null;
    if (text) {
      try { json = JSON.parse(text); } catch { json = { error: 'BadResponse', message: text.slice(0, 300) }; }
    }
    if (!r.ok) throw new ApiError(r.status, json);
    return json;
  }
}

export const enc = encodeURIComponent;
