// Where audit checkpoints go off the box: an HTTP webhook (POST JSON) and a
// syslog collector (RFC 5424 over UDP). Each send either resolves (taken by a
// webhook; only sent, for UDP syslog) or throws (to be retried); neither ever sees an audit entry's content.
import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';

export interface Checkpoint {
  seq: number;
  hash: string;
  at: number;
  /** Where the chain started when it was taken: the first kept seq and the hash of the entry before it. */
  anchor: { seq: number; prevHash: string };
  /** Entries from the anchor to seq: a collector sees truncation at the start as a later anchor with no audit.prune recording it. */
  entries: number;
}

export interface CheckpointTarget {
  /** 'webhook' or 'syslog': names the target in events, logs and alerts (never its URL: it may carry a secret). */
  readonly name: string;
  /** Whether a resolved send means the receiver took it (HTTP 2xx); false for UDP syslog, which only left the box. */
  readonly confirms: boolean;
  send(checkpoint: Checkpoint): Promise<void>;
  close(): void;
}

/** The JSON body a webhook receives. */
export const checkpointBody = (c: Checkpoint, host: string) => ({
  type: 'portier.audit.checkpoint', host, seq: c.seq, hash: c.hash, at: new Date(c.at).toISOString(),
  anchor: { seq: c.anchor.seq, prevHash: c.anchor.prevHash }, entries: c.entries,
});

export function webhookTarget(url: string, timeoutMs: number, host = hostname()): CheckpointTarget {
  const aborts = new Set<AbortController>();
  return {
    name: 'webhook',
    confirms: true,
    async send(c) {
      const abort = new AbortController();
      aborts.add(abort);
      const timer = setTimeout(() => abort.abort(new Error('timeout')), timeoutMs);
      try {
        const res = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(checkpointBody(c, host)), signal: abort.signal,
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      } finally {
        clearTimeout(timer);
        aborts.delete(abort);
      }
    },
    close() { for (const a of aborts) a.abort(new Error('closed')); },
  };
}

/** RFC 5424: facility 13 (log audit), severity 5 (notice); the checkpoint also as structured data. */
export function syslogMessage(c: Checkpoint, host: string): string {
  const pri = 13 * 8 + 5;
  const sd = `[portier-audit@32473 seq="${c.seq}" hash="${c.hash}" anchorSeq="${c.anchor.seq}" anchorPrevHash="${c.anchor.prevHash}" entries="${c.entries}"]`;
  return `<${pri}>1 ${new Date(c.at).toISOString()} ${host || '-'} portier ${process.pid} audit-checkpoint ${sd} audit checkpoint seq=${c.seq} hash=${c.hash}`;
}

/** `host:port` (IPv6 in brackets) of a UDP syslog collector. */
export function parseSyslogAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`audit.checkpoint.syslog must be host:port, got "${address}"`);
  return { host: m[1]!, port };
}

export function syslogTarget(address: string, host = hostname()): CheckpointTarget {
  const { host: to, port } = parseSyslogAddress(address);
  const socket = createSocket(to.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => { /* a send reports its own error; nothing else is read from this socket */ });
  socket.unref();
  let closed = false;
  return {
    name: 'syslog',
    // UDP is fire-and-forget: the send callback runs whether or not a collector listens.
    confirms: false,
    send: (c) => new Promise<void>((resolve, reject) => {
      if (closed) return reject(new Error('closed'));
      socket.send(syslogMessage(c, host), port, to, (error) => (error ? reject(error) : resolve()));
    }),
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
