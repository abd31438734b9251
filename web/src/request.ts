/** The one fetch / WebSocket layer under the typed clients (api.ts, examApi.ts). */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON request to the server; a non-2xx answer throws an ApiError with the server's error code and message. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json: Record<string, unknown> = {};
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    /* non-JSON */
  }
  if (!res.ok) throw new ApiError(res.status, String(json.error ?? 'error'), String(json.message ?? `${res.status} ${res.statusText}`));
  return json as T;
}

export function wsUrl(path: string, params: Record<string, string | number>): string {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u.toString();
}

/** Subscribes to a JSON message socket, reconnecting with backoff. Returns a stop function. */
export function subscribeSocket<M>(
  path: string,
  params: Record<string, string | number>,
  onMessage: (m: M) => void,
  onStatus: (connected: boolean) => void,
): () => void {
  let ws: WebSocket | undefined;
  let stopped = false;
  let delay = 500;
  let timer: number | undefined;
  const connect = () => {
    ws = new WebSocket(wsUrl(path, params));
    ws.onopen = () => {
      delay = 500;
      onStatus(true);
    };
    ws.onmessage = (ev) => {
      try {
        onMessage(JSON.parse(String(ev.data)) as M);
      } catch {
        /* ignore */
      }
    };
    ws.onclose = () => {
      onStatus(false);
      if (stopped) return;
      timer = window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 8000);
    };
  };
  connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    ws?.close();
  };
}
