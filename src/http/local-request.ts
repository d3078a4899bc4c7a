// Whether a request comes straight from this machine over the plain-HTTP listener:
// the only requests that may read /ready's details and /metrics without signing in.
// "Not encrypted" alone is not enough: a reverse proxy that ends TLS and forwards
// to the localhost listener would otherwise hand them to the internet.
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

export function isLocalDirect(req: FastifyRequest): boolean {
  const socket = req.raw.socket as TLSSocket;
  if (socket.encrypted) return false;
  if (!LOOPBACK.test(socket.remoteAddress ?? '')) return false;
  return !FORWARDED.some((h) => req.headers[h] !== undefined);
}
