// JSON calls to the gateway's HTTP API with the named-error body it answers
// ({ error, reason, params, message }: the pages show `reason` from their catalogues).
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly reason?: string;
  readonly params: Record<string, string | number>;
  constructor(status: number, code: string, message: string, why: { reason?: string; params?: Record<string, string | number> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.reason = why.reason;
    this.params = why.params ?? {};
  }
}

/** A refused socket.io acknowledgement as an ApiError (status 0). */
export const ackError = (a: { error: string; reason?: string; params?: Record<string, string | number>; message?: string }): ApiError =>
  new ApiError(0, a.error, a.message ?? a.error, { reason: a.reason, params: a.params });

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Sends a file as it is (an image upload: the gateway decides what it is from its bytes, not from its name or type). */
export function upload<T = any>(method: string, path: string, file: Blob): Promise<T> {
  return request<T>(method, path, { headers: { 'content-type': 'application/octet-stream' }, body: file });
}

async function request<T>(method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit }): Promise<T> {
  const res = await fetch(path, { method, credentials: 'same-origin', headers: init.headers ?? {}, body: init.body })
    .catch((error: unknown) => { throw new ApiError(0, 'network', String(error)); });
  const text = await res.text();
  let data: any;
  try { data = text ? JSON.parse(text) : undefined; } catch { data = undefined; }
  if (!res.ok) throw new ApiError(res.status, data?.error ?? 'internal', data?.message ?? res.statusText, { reason: data?.reason, params: data?.params });
  return data as T;
}
