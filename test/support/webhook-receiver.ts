// A real local HTTP server standing in for the alert webhook: records every POST
// and answers with what the test says (a status, or nothing until it closes).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';

export interface Received { path: string; body: any }

export async function startWebhookReceiver() {
  const received: Received[] = [];
  const events = new EventEmitter();
  const hanging = new Set<ServerResponse>();
  let answer: number | 'hang' = 204;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      events.emit('request', received.length);
      if (answer === 'hang') { hanging.add(res); return; }
      res.statusCode = answer;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    answer(a: number | 'hang') { answer = a; },
    /** Resolves once `n` requests in all have arrived. */
    requests(n: number): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve) => {
        const on = (count: number) => { if (count >= n) { events.off('request', on); resolve(); } };
        events.on('request', on);
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
