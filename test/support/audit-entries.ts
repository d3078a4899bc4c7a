// The gateway writes some audit entries after what a test waits for has happened (a log line, a socket
// event): the REFER refused (refer-in.ts audits after its log line) and the PBX's move (call.moved,
// after the desks were told). A test reads them once they are there, never at once.
import type { ApiClient } from './gateway.ts';

/** The entries of `action` (GET /api/audit) that `of` picks, once there are at least `n` of them (bounded, polled). */
export async function auditedFor<T = any>(admin: ApiClient, action: string, of: (entry: NoInfer<T>) => boolean, n = 1, timeoutMs = 30_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await admin.get(`/api/audit?action=${encodeURIComponent(action)}`);
    if (res.status !== 200) throw new Error(`GET /api/audit?action=${action}: ${res.status} ${JSON.stringify(res.body)}`);
    const found = (res.body as T[]).filter(of);
    if (found.length >= n) return found;
    if (Date.now() > deadline) throw new Error(`${n} ${action} audit entries: not within ${timeoutMs} ms (${found.length} so far)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
