// An account over TLS with a secondary server and no tls.server_name, against two
// minimal TLS registrars whose certificates name only themselves (A: the name
// localhost, B: the address 127.0.0.1), on a manual clock: A stops answering →
// the account registers at B, whose certificate is verified against B's own name
// (review s22 #21; it used to be checked against the primary's name and failed).
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pino from 'pino';
import { SipAccount, StreamFramer, type SipAccountStatus } from '../../src/sip-bridge/index.ts';
import { TestCa } from '../support/test-ca.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { untilAccount } from './account-state.ts';

const T1 = 50;
const KEEPALIVE = 1000;

/** A registrar that answers every request 200 (REGISTER with the contact and its expiry) until told to go silent. */
class TinyTlsRegistrar {
  readonly server: Server;
  readonly sockets = new Set<TLSSocket>();
  readonly methods: string[] = [];
  silent = false;

  private constructor(server: Server) {
    this.server = server;
    server.on('secureConnection', (socket) => {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
      const framer = new StreamFramer(65_536);
      socket.on('data', (data) => {
        for (const f of framer.push(data)) if (f.kind === 'message') this.#answer(socket, f.data.toString());
      });
    });
  }

  static async start(cert: { cert: string; key: string }): Promise<TinyTlsRegistrar> {
    const server = createServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TinyTlsRegistrar(server);
  }

  get port(): number { return (this.server.address() as { port: number }).port; }

  #answer(socket: TLSSocket, text: string): void {
    const method = /^([A-Z]+) /.exec(text)?.[1];
    if (!method || this.silent) return;
    this.methods.push(method);
    const lines = text.split('\r\n');
    const pick = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name}:`));
    const to = pick('to').map((l) => (l.includes(';tag=') ? l : `${l};tag=reg1`));
    const contact = method === 'REGISTER' ? pick('contact').map((l) => `${l.replace(/;expires=\d+/, '')};expires=300`) : [];
    socket.write([
      'SIP/2.0 200 OK', ...pick('via'), ...pick('from'), ...to, ...pick('call-id'), ...pick('cseq'), ...contact, 'Content-Length: 0', '', '',
    ].join('\r\n'));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let ca: TestCa;
let a: TinyTlsRegistrar;
let b: TinyTlsRegistrar;

beforeAll(async () => {
  ca = await TestCa.create('Portier test CA');
  a = await TinyTlsRegistrar.start(await ca.server('localhost', { dns: ['localhost'] }));
  b = await TinyTlsRegistrar.start(await ca.server('127.0.0.1', { ip: ['127.0.0.1'] }));
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  ca?.close();
});

describe('failover over TLS without tls.server_name', () => {
  it('verifies each server against its own name: when A (localhost) stops answering, the account registers at B (127.0.0.1)', async () => {
    const clock = new ManualClock();
    const account = new SipAccount({
      clock, logger: pino({ level: 'silent' }),
      account: {
        id: 'pbx', transport: 'tls', tls: { ca: readFileSync(ca.cert, 'utf8'), serverName: '' },
        registrar: { host: 'localhost', port: a.port }, secondaryRegistrars: [{ host: '127.0.0.1', port: b.port }],
        username: 'lobby', authUsername: 'lobby', password: 'lobby-secret-1', domain: 'portier.test', expiresSeconds: 300, localPort: 0,
      },
      settings: {
        bindAddress: '127.0.0.1', advertisedAddress: '', timers: { t1Ms: T1, t2Ms: 8 * T1 },
        keepaliveMs: KEEPALIVE, retryMinMs: 1000, retryMaxMs: 4000, failbackHoldMs: 60_000, accounts: [],
      },
    });
    const states: SipAccountStatus[] = [];
    account.on('state', (s) => states.push(s));
    try {
      await account.start();
      await untilAccount(account, (s) => s.state === 'registered' && s.server === `localhost:${a.port}`);
      expect(a.methods).toContain('REGISTER');
      a.silent = true;
      // Registered at B, or refused by B's certificate (checked against the primary's name before the fix).
      const settled = Promise.race([
        untilAccount(account, (s) => s.server === `127.0.0.1:${b.port}`, 'registered'),
        new Promise<SipAccountStatus>((resolve) => b.server.once('tlsClientError', () => resolve(account.status()))),
      ]);
      // The keep-alive OPTIONS to A runs into Timer F: on to B at once.
      await clock.advance(KEEPALIVE);
      await clock.advance(64 * T1);
      expect(await settled).toMatchObject({ state: 'registered', server: `127.0.0.1:${b.port}` });
      expect(b.methods).toContain('REGISTER');
      expect(states.filter((s) => s.reason === 'tls')).toEqual([]);
    } finally {
      a.silent = false;
      await account.close();
    }
  });
});
