// Audit checkpoints off the box: the chain's head reaches a real HTTP receiver
// and a real UDP syslog listener on loopback after N entries or M minutes (a
// manual clock); a failing receiver is retried on the clock, and an append
// never waits for a send.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { Store, GENESIS_HASH } from '../../src/store/index.ts';
import { AuditLog, AuditCheckpoints, webhookTarget, syslogTarget, type AuditCheckpointsEvents } from '../../src/audit/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const MINUTE = 60_000;

/** An HTTP receiver whose answers the test gives: each request waits in `requests` until answered. */
class Receiver {
  readonly server: Server;
  readonly requests: Array<{ body: unknown; res: ServerResponse }> = [];
  readonly bodies: unknown[] = [];
  #waiters: Array<() => void> = [];
  /** Answered at once with this status; null: left waiting for the test. */
  autoStatus: number | null = 200;

  constructor() {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        this.bodies.push(body);
        if (this.autoStatus !== null) res.writeHead(this.autoStatus).end();
        else this.requests.push({ body, res });
        for (const w of this.#waiters.splice(0)) w();
      });
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/checkpoint`;
  }

  /** Resolves once `n` requests have arrived in all. */
  async received(n: number): Promise<void> {
    while (this.bodies.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const r of this.requests) r.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const next = <K extends keyof AuditCheckpointsEvents & string>(c: AuditCheckpoints, event: K, where: (...a: AuditCheckpointsEvents[K]) => boolean = () => true) =>
  new Promise<AuditCheckpointsEvents[K]>((resolve) => {
    const listener = (...args: AuditCheckpointsEvents[K]) => { if (where(...args)) { c.off(event, listener); resolve(args); } };
    c.on(event, listener);
  });

describe('audit checkpoints', () => {
  let store: Store;
  let clock: ManualClock;
  let audit: AuditLog;
  let receiver: Receiver;
  let url: string;
  let syslog: Socket;
  let syslogAddress: string;
  const syslogMessages: string[] = [];
  let checkpoints: AuditCheckpoints | undefined;

  beforeEach(async () => {
    store = await Store.open(':memory:');
    clock = new ManualClock();
    audit = new AuditLog(store.db, clock);
    receiver = new Receiver();
    url = await receiver.listen();
    syslog = createSocket('udp4');
    syslogMessages.length = 0;
    syslog.on('message', (m) => syslogMessages.push(m.toString('utf8')));
    syslog.bind(0, '127.0.0.1');
    await once(syslog, 'listening');
    syslogAddress = `127.0.0.1:${(syslog.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await checkpoints?.close();
    checkpoints = undefined;
    await receiver.close();
    syslog.close();
    await store.close();
  });

  const start = async (targets: 'both' | 'webhook', everyEntries = 5) => {
    checkpoints = new AuditCheckpoints({
      db: store.db, audit, clock, settings: { everyEntries, everyMs: 15 * MINUTE, retryMs: 30_000 },
      targets: targets === 'both' ? [webhookTarget(url, 10_000, 'lobby-gw'), syslogTarget(syslogAddress, 'lobby-gw')] : [webhookTarget(url, 10_000, 'lobby-gw')],
    });
    await checkpoints.start();
    return checkpoints;
  };
  const append = (i: number) => audit.append({ actor: { type: 'system', id: null }, action: 'site.create', outcome: 'ok', details: { i } });

  it('after every N entries the head reaches the HTTP receiver and the syslog listener', async () => {
    const c = await start('both');
    const delivered = [next(c, 'delivered', (d) => d.target === 'webhook'), next(c, 'sent', (d) => d.target === 'syslog')];
    for (let i = 0; i < 4; i++) await append(i);
    expect(receiver.bodies).toEqual([]);
    await append(4);
    await Promise.all(delivered);
    const head = await audit.head();
    expect(head.seq).toBe(5);
    expect(receiver.bodies).toEqual([{ type: 'portier.audit.checkpoint', host: 'lobby-gw', seq: 5, hash: head.hash, at: new Date(clock.now()).toISOString(), anchor: { seq: 1, prevHash: GENESIS_HASH }, entries: 5 }]);
    // The listener has the datagram once the send's callback ran (sent) and its message event fired.
    while (syslogMessages.length === 0) await once(syslog, 'message');
    expect(syslogMessages).toHaveLength(1);
    expect(syslogMessages[0]).toMatch(new RegExp(`^<109>1 ${new Date(clock.now()).toISOString().replace(/\./g, '\\.')} lobby-gw portier \\d+ audit-checkpoint \\[portier-audit@32473 seq="5" hash="${head.hash}" anchorSeq="1" anchorPrevHash="${GENESIS_HASH}" entries="5"\\] audit checkpoint seq=5 hash=${head.hash}$`));
    expect(await store.db.selectFrom('audit_checkpoints').selectAll().execute()).toEqual([{ seq: 5, hash: head.hash, at: clock.now() }]);
  });

  it('a UDP syslog send is only "sent", never "delivered" (no collector needs to exist); the webhook\'s 2xx is', async () => {
    syslog.close();
    // Nobody listens at the syslog address any more: the UDP send succeeds all the same.
    const c = await start('both');
    const events: string[] = [];
    c.on('delivered', (d) => events.push(`delivered:${d.target}`));
    c.on('sent', (d) => events.push(`sent:${d.target}`));
    for (let i = 0; i < 5; i++) await append(i);
    await c.settled();
    expect(events.sort()).toEqual(['delivered:webhook', 'sent:syslog']);
    syslog = createSocket('udp4');
  });

  it('after M minutes with new entries a checkpoint goes out; with none, nothing is sent', async () => {
    const c = await start('webhook', 1000);
    await append(0);
    await append(1);
    const delivered = next(c, 'delivered');
    await clock.advance(15 * MINUTE);
    const [d] = await delivered;
    expect(d.checkpoint.seq).toBe(2);
    const taken: unknown[] = [];
    c.on('taken', (t) => taken.push(t));
    await clock.advance(15 * MINUTE);
    await c.settled();
    expect(taken).toEqual([]);
    expect(receiver.bodies).toHaveLength(1);
  });

  it('appends never wait for a send; a failed send is reported and retried on the clock until taken', async () => {
    receiver.autoStatus = null;
    const c = await start('webhook', 2);
    const failed = next(c, 'failed');
    await append(0);
    await append(1);
    await receiver.received(1);
    // The receiver has not answered: further appends go through all the same.
    for (let i = 2; i < 6; i++) await append(i);
    expect((await audit.head()).seq).toBe(6);
    receiver.requests.shift()!.res.writeHead(503).end();
    const [failure] = await failed;
    expect(failure).toMatchObject({ target: 'webhook', attempts: 1, reason: 'HTTP 503' });
    // The retry carries the newest checkpoint: its hash covers every entry before it.
    receiver.autoStatus = 200;
    const delivered = next(c, 'delivered');
    await clock.advance(30_000);
    const [d] = await delivered;
    expect(d).toMatchObject({ target: 'webhook', attempts: 2, checkpoint: { seq: 6 } });
    expect((receiver.bodies.at(-1) as { seq: number }).seq).toBe(6);
  });
});
