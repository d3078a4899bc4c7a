// What a file of SIP-bridge tests around one real gateway, Kamailio and sipp
// shares (refer-callback, refer-inbound, inbound-call): what it started, closed
// in one place in afterAll; the gateway's log lines as events; an audio producer
// awaited in a call's media.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Socket } from 'socket.io-client';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import type { ProducerInfo } from '../../src/calls/media-port.ts';
import type { Gw } from './signaling.ts';
import type { Kamailio } from './kamailio.ts';
import type { Sipp } from './sipp.ts';
import type { RtpCounter } from './rtp-counter.ts';

/** Everything a test file started beside its gateway and Kamailio: closed by `close`, in the order they depend on each other. */
export class StartedPeers {
  readonly timers: NodeJS.Timeout[] = [];
  readonly open: Socket[] = [];
  readonly sipps: Sipp[] = [];
  readonly counters: RtpCounter[] = [];
  readonly #dirs: string[] = [];

  /** A fresh temporary directory, removed by `close`. */
  dir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /** Timers, sockets and sipps first (they talk to the gateway), then the gateway, Kamailio, the RTP counters and the directories. */
  async close(gw: Gw | undefined, kamailio: Kamailio | undefined): Promise<void> {
    this.timers.forEach((t) => clearInterval(t));
    this.open.forEach((s) => s.close());
    for (const s of this.sipps) await s.close();
    await gw?.close();
    await kamailio?.close();
    this.counters.forEach((c) => c.close());
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** A logger for the gateway whose JSON lines the test can wait for: `line(prefix, where)` is the next whose message starts with `prefix`. */
export function gatewayLog(): { logger: pino.Logger; line(prefix: string, where?: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> } {
  const logs = new EventEmitter();
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { logs.emit('line', JSON.parse(String(chunk))); cb(); } }));
  const line = (prefix: string, where: (l: Record<string, unknown>) => boolean = () => true) => new Promise<Record<string, unknown>>((resolve) => {
    const on = (l: Record<string, unknown>) => { if (String(l.msg).startsWith(prefix) && where(l)) { logs.off('line', on); resolve(l); } };
    logs.on('line', on);
  });
  return { logger, line };
}

/** The next audio producer in the call's media whose participant `which` names (it may exist already), as `viewer` may consume it. */
export function audioProducer(media: SfuCallMedia, viewer: string, which: (participantId: string) => boolean): Promise<ProducerInfo> {
  return new Promise<ProducerInfo>((resolve) => {
    const is = (p: ProducerInfo) => p.kind === 'audio' && which(p.participantId);
    const on = (p: ProducerInfo) => { if (is(p)) { media.observer.off('newproducer', on); resolve(p); } };
    media.observer.on('newproducer', on);
    const present = media.producersFor(viewer).find(is);
    if (present) on(present);
  });
}
