// The WES API as the dashboard calls it: every URL relative to this page, so the dashboard works
// under any path prefix a proxy adds. Credentials: the browser's own (none, or basic auth, which
// it sends on every same-origin request once asked for), or a bearer token the user pastes,
// kept in this tab's sessionStorage and sent on every call, streams included (fetch, not
// EventSource, which cannot send headers).

export const WES = new URL("../ga4gh/wes/v1/", document.baseURI);
const TOKEN = "cromwes.bearer-token";

export class ApiError extends Error {
  constructor(status, message, challenge, sentToken) {
    super(message);
    this.status = status;
    this.challenge = challenge || "";
    this.sentToken = sentToken || null; // the bearer token the refused call carried, if any
  }

  // No token, a bad one, or one without the scopes every call needs: only another token helps.
  get wantsToken() {
    if (!/^bearer/i.test(this.challenge)) return false;
    return this.status === 401 || /error="insufficient_scope"/.test(this.challenge);
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN, value);
  else sessionStorage.removeItem(TOKEN);
}

export function headers(extra = {}) {
  const all = { ...extra };
  const bearer = token();
  if (bearer) all.Authorization = `Bearer ${bearer}`;
  return all;
}

export function apiUrl(path, params = {}) {
  const url = new URL(path, WES);
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") url.searchParams.append(name, item);
    }
  }
  return url;
}

export async function apiError(response, sentToken) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.msg) message = body.msg;
  } catch {
    // not an ErrorResponse: keep the status line
  }
  return new ApiError(response.status, message, response.headers.get("WWW-Authenticate"), sentToken);
}

export async function getJson(path, params = {}, options = {}) {
  const sent = token();
  const response = await fetch(apiUrl(path, params), {
    headers: headers({ Accept: "application/json" }),
    credentials: "same-origin",
    signal: options.signal,
  });
  if (!response.ok) throw await apiError(response, sent);
  return response.json();
}

export async function post(path) {
  const sent = token();
  const response = await fetch(apiUrl(path), {
    method: "POST",
    headers: headers({ Accept: "application/json" }),
    credentials: "same-origin",
  });
  if (!response.ok) throw await apiError(response, sent);
  return response.json();
}

export function runPath(runId, ...rest) {
  return ["runs", encodeURIComponent(runId), ...rest].join("/");
}

export function taskLogPath(runId, taskId, stream) {
  // Task ids keep `:`, `@` and `~` as they are (they are legal in a path segment).
  const segment = encodeURIComponent(taskId).replace(/%3A/g, ":").replace(/%40/g, "@");
  return runPath(runId, "logs", "task", segment, stream);
}
