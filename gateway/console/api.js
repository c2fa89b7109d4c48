// The console's only way to the gateway: same origin, bearer token, and
// every error turned into an ApiError carrying the API's {error, message}.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Decodes a JWT's payload (its middle part, base64url JSON); null if it is not one. */
export function decodeJwtPayload(token) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : null;
  } catch {
    return null;
  }
}

/** Why a token cannot open the console, or null if it can. `nowMs` for tests. */
export function tokenProblem(token, nowMs = Date.now()) {
  const payload = decodeJwtPayload(token);
  if (!payload) return 'the gateway returned a token this console cannot read';
  if (payload.role !== 'admin') return 'this console is for platform admins';
  if (typeof payload.exp === 'number' && payload.exp * 1000 <= nowMs) return 'your session has expired';
  return null;
}

/** The error of a failed response: the API's {error, message} if it has one, else the HTTP status. */
export async function errorOf(response) {
  let body = null;
  try { body = JSON.parse(await response.text()); } catch { /* not JSON */ }
  if (body && typeof body.message === 'string' && body.message) return new ApiError(response.status, String(body.error || 'error'), body.message);
  return new ApiError(response.status, `http_${response.status}`, `the gateway answered ${response.status} ${response.statusText || ''}`.trim());
}

/**
 * A client. `getToken()` gives the bearer token (or null); `onUnauthorized(err)`
 * is told of every 401 to an authenticated request (then the error is thrown).
 */
export function createApi({ getToken = () => null, onUnauthorized = () => {}, fetchImpl } = {}) {
  const doFetch = fetchImpl || ((...args) => globalThis.fetch(...args));
  async function request(method, path, { json, body, contentType, auth = true } = {}) {
    const headers = { Accept: 'application/json' };
    const token = auth ? getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (body !== undefined && contentType) {
      headers['Content-Type'] = contentType;
    }
    const response = await doFetch(path, { method, headers, body }).catch((e) => {
      throw new ApiError(0, 'network', `the gateway could not be reached (${e.message})`);
    });
    if (!response.ok) {
      const err = await errorOf(response);
      if (response.status === 401 && auth) onUnauthorized(err);
      throw err;
    }
    const text = response.status === 204 ? '' : await response.text();
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      throw new ApiError(response.status, 'bad_response', `${method} ${path} did not answer JSON`);
    }
  }
  return {
    request,
    get: (path) => request('GET', path),
    send: (method, path, json) => request(method, path, { json }),
    upload: (method, path, file) => request(method, path, { body: file, contentType: 'application/wasm' }),
    login: (email, password) =>
      request('POST', '/api/accounts/login', { json: { email, password }, auth: false }),
  };
}

/** A path segment, escaped. */
export const seg = (s) => encodeURIComponent(String(s));

// Reading and writing the API's values.

/** A datetime-local input's value (the browser's local time) as RFC 3339 UTC; null if not a time. */
export function localToRfc3339(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(String(value ?? ''));
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v || 0));
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(date.getTime()) || date.getDate() !== d || date.getMonth() !== mo - 1) return null;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An RFC 3339 time shown in UTC to the second, e.g. `2025-01-02 03:04:05 UTC`. */
export function formatTime(iso) {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

/** The first 12 hex digits of a digest (any `sha256:` prefix dropped). */
export function shortDigest(digest) {
  const hex = String(digest ?? '').replace(/^sha256:/i, '');
  return hex.length > 12 ? hex.slice(0, 12) + '…' : hex || '—';
}

/** A promotion's discount in words. */
export function formatDiscount(p) {
  if (typeof p.percent_off === 'number') return `${p.percent_off}% off`;
  if (typeof p.fixed_price === 'number') return `fixed price ${p.fixed_price}`;
  return '—';
}

/** A promotion's units: `remaining of max`, or `unlimited`. */
export function formatUnits(p) {
  if (typeof p.max_units !== 'number') return 'unlimited';
  const left = typeof p.remaining_units === 'number' ? p.remaining_units : p.max_units;
  return `${left} of ${p.max_units} left`;
}
