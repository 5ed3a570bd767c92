// The admin API, with the signed-in user's bearer token. Errors keep the API's fields
// (code, message, field, line, column) so the pages can mark where the problem is.

import { token } from "./auth.js";

/** The API's base path: the page is at <base>/console/ (a stage, a custom domain's path). */
export const base = location.pathname.slice(0, Math.max(0, location.pathname.indexOf("/console")));

export class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
    this.field = error.field;
    this.line = error.line;
    this.column = error.column;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401) onUnauthorized();
  if (!response.ok) {
    const error = (data && data.error) || { code: `http_${response.status}`, message: (data && data.message) || response.statusText };
    throw new ApiError(response.status, error);
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});
export const put = (path, body) => api("PUT", path, body);

/** Run `fn` over `items`, at most `limit` at a time (list pages read each item's details). */
export async function each(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (error) {
        out[i] = error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
