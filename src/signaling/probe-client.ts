// The synthetic probe's client: signs in to the gateway's /probe namespace over a
// real socket.io WebSocket (engine.io v4 framing spoken directly on `ws`, so the
// gateway needs no socket.io client) and waits for `probe.ping`'s acknowledgement.
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { PROBE_NAMESPACE } from './probe-namespace.ts';

export interface ProbeTarget {
  /** The gateway's localhost HTTP listener, e.g. http://127.0.0.1:8080. */
  base: string;
  secret: string;
}

/** Resolves when the gateway acknowledged probe.ping; rejects with what went wrong. Aborting closes the socket. */
export function pingSignaling(target: ProbeTarget, signal: AbortSignal): Promise<void> {
  const url = `${target.base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${target.secret}` } });
  const ns = PROBE_NAMESPACE;
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error) => {
      signal.removeEventListener('abort', onAbort);
      ws.removeAllListeners();
      ws.on('error', () => {}); // a late error of the closing socket is no news
      ws.terminate();
      if (error) reject(error); else resolve();
    };
    const onAbort = () => finish(new Error('aborted'));
    if (signal.aborted) { onAbort(); return; }
    signal.addEventListener('abort', onAbort);
    ws.on('error', (e) => finish(e));
    ws.on('unexpected-response', (_req, res) => finish(new Error(`handshake refused (HTTP ${res.statusCode})`)));
    ws.on('close', () => finish(new Error('connection closed')));
    ws.on('message', (data) => {
      const packet = String(data);
      if (packet === '2') { ws.send('3'); return; } // engine.io ping → pong
      if (packet.startsWith('0')) { ws.send(`40${ns},`); return; } // engine open → connect to the namespace
      if (packet.startsWith(`40${ns},`)) { ws.send(`42${ns},1["probe.ping"]`); return; }
      if (packet.startsWith(`44${ns},`)) { finish(new Error(`refused: ${messageOf(packet.slice(ns.length + 3))}`)); return; }
      if (packet.startsWith(`43${ns},1`)) {
        const ok = (JSON.parse(packet.slice(ns.length + 4)) as unknown[])[0];
        finish((ok as { ok?: unknown } | undefined)?.ok === true ? undefined : new Error('probe.ping not acknowledged with ok'));
      }
    });
  });
}

function messageOf(json: string): string {
  try {
    return String((JSON.parse(json) as { message?: unknown }).message ?? json);
  } catch {
    return json;
  }
}

/** The URL the probe reaches a listener at from this machine (a wildcard address by its loopback). */
export function localBase(address: AddressInfo | string | null | undefined): string | undefined {
  if (!address || typeof address === 'string') return undefined;
  const ip = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${address.port}`;
}
