// The operator's journal: one info line per call event (started, answered, ended
// with outcome), naming terminal, site and entry by id, never a person.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { transferFixtureEach, type TransferFixture } from '../support/call-service.ts';
import { createLogger } from '../../src/log/index.ts';
import { journalAccess, journalCalls, journalDevices } from '../../src/log/index.ts';
import { connect, device, nextMessage, startHub, waitForEvent } from '../support/mqtt.ts';
import { openServices, type Services } from '../support/services.ts';
import { TerminalEnrolment } from '../../src/terminals/index.ts';

const terminal = { id: 'terminal-1', siteId: 'hq' };

describe('operator journal of calls', () => {
  let fixture: TransferFixture;
  let lines: Array<Record<string, any>>;
  let detach: () => void;
  transferFixtureEach((f) => { fixture = f; });
  beforeEach(() => {
    lines = [];
    const destination = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
    detach = journalCalls(fixture.calls, createLogger({ level: 'info', destination }));
  });
  afterEach(() => { detach(); });

  const journal = (): Array<Record<string, any>> => lines.map((l) => ({ msg: l.msg, ...Object.fromEntries(Object.entries(l).filter(([k]) => ['outcome', 'reason', 'by', 'terminal', 'site'].includes(k))) }));

  it('a call answered at a desk: started, answered (by a desk), ended with outcome and reason — once each, with no name', async () => {
    const { calls, entries } = fixture;
    const call = await calls.start(terminal, entries['Anna Host']!);
    await calls.answer(call.id, 'anna');
    await calls.hangup(call.id, 'anna');
    expect(journal()).toEqual([
      { msg: 'calls: call started', terminal: 'terminal-1', site: 'hq' },
      { msg: 'calls: call answered', terminal: 'terminal-1', site: 'hq', by: 'desk' },
      { msg: 'calls: call ended', terminal: 'terminal-1', site: 'hq', outcome: 'answered', reason: 'hangup-desk' },
    ]);
    expect(lines.every((l) => l.level === 30 && l.call === call.id && l.component === 'calls')).toBe(true);
    expect(lines[0]!.entry).toBe(entries['Anna Host']);
    const text = JSON.stringify(lines);
    expect(text).not.toContain('Anna');
    expect(text).not.toContain('anna');
  });

  it('a call nobody answers: started once although it rings host then reception, then ended cancelled when the visitor gives up', async () => {
    const { calls, entries, clock } = fixture;
    const call = await calls.start(terminal, entries['Anna Host']!);
    await clock.advance(7_000); // anna's leg; the reception rings next
    expect(journal()).toEqual([{ msg: 'calls: call started', terminal: 'terminal-1', site: 'hq' }]);
    await calls.hangup(call.id, 'terminal-1');
    expect(journal().map((l) => [l.msg, l.outcome])).toEqual([['calls: call started', undefined], ['calls: call ended', 'cancelled']]);
  });
});

describe('operator journal of access', () => {
  const admin = { type: 'user' as const, id: 'admin' };
  let s: Services;
  let enrolment: TerminalEnrolment;
  let lines: Array<Record<string, any>>;
  let detach: () => void;
  beforeEach(async () => {
    s = await openServices();
    await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    enrolment = new TerminalEnrolment({ store: s.store, credentials: s.credentials, audit: s.audit, clock: s.clock, codeTtlMs: 10 * 60_000 });
    lines = [];
    const destination = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
    detach = journalAccess({ accounts: s.accounts, enrolment, credentials: s.credentials }, createLogger({ level: 'info', destination, pseudonymise: (v) => `ps_${v.length}` }));
  });
  afterEach(async () => { detach(); await s.close(); });

  it('sign-ins refused (the login pseudonymised), the lock-out as a warning, a terminal paired, a code refused, a revocation', async () => {
    await s.store.transaction((tx) => s.accounts.create(tx, { login: 'anna.host', displayName: 'Anna', password: 'a long password 123' }));
    // maxFailures is 3 (test/support/services.ts): the third wrong password locks the login out from that address.
    for (let i = 0; i < 3; i++) await expect(s.accounts.login('anna.host', 'wrong password', '127.0.0.9')).rejects.toThrow();
    await expect(s.accounts.login('nobody', 'wrong password', '127.0.0.8')).rejects.toThrow();
    const { terminal, pairing } = await enrolment.create(admin, { name: 'Lobby 1', siteId: 'hq' });
    await enrolment.pair(pairing.code);
    await expect(enrolment.pair(pairing.code)).rejects.toThrow();
    await s.credentials.revoke(admin, terminal.id);
    expect(lines.map((l) => [l.level, l.msg, l.reason ?? l.label ?? null])).toEqual([
      [30, 'access: sign-in failed', 'password'],
      [30, 'access: sign-in failed', 'password'],
      [40, 'access: sign-in locked out after repeated failures', 'password'],
      [30, 'access: sign-in failed', 'unknown-or-disabled'],
      [30, 'terminals: terminal paired', 'Lobby 1'],
      [30, 'terminals: pairing code refused', 'used-or-expired'],
      [30, 'credentials: terminal revoked', 'Lobby 1'],
    ]);
    expect(lines[0]!.login).toBe('ps_9');
    expect(JSON.stringify(lines)).not.toContain('anna');
    expect(lines[4]).toMatchObject({ terminal: terminal.id, site: 'hq' });
  });
});

describe('operator journal of devices', () => {
  it('a device connecting and disconnecting: one line each, naming device, kind and site', async () => {
    const fx = await startHub();
    const lines: Array<Record<string, any>> = [];
    const destination = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
    const detach = journalDevices(fx.hub.observer, createLogger({ level: 'info', destination }));
    try {
      const reader = await fx.register('reader-1', 'card-reader');
      const online = waitForEvent(fx.hub.observer, 'online', (d) => d.id === 'reader-1');
      const client = await connect(fx.url.tcp, device(reader));
      await online;
      const offline = waitForEvent(fx.hub.observer, 'offline', (d) => d.id === 'reader-1');
      await client.endAsync();
      await offline;
      expect(lines.map((l) => [l.msg, l.device, l.kind, l.site, l.component])).toEqual([
        ['devices: device connected', 'reader-1', 'card-reader', 'hq', 'devices'],
        ['devices: device disconnected', 'reader-1', 'card-reader', 'hq', 'devices'],
      ]);
    } finally {
      detach();
      await fx.close();
    }
  });

  it('door commands acknowledged and refused by the controller, and a rule fired with each action\'s outcome: one line each, naming door, site, rule and device', async () => {
    const fx = await startHub();
    const lines: Array<Record<string, any>> = [];
    const destination = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
    const detach = journalDevices(fx.hub.observer, createLogger({ level: 'info', destination }));
    const clients: Array<Awaited<ReturnType<typeof connect>>> = [];
    try {
      const door = await fx.register('door-1', 'door');
      const sensor = await fx.register('sensor-1', 'sensor');
      const controller = await connect(fx.url.tcp, device(door));
      clients.push(controller, await connect(fx.url.tcp, device(sensor)));
      const cmdTopic = `portier/hq/doors/${fx.doorId}/cmd`;
      await controller.subscribeAsync(cmdTopic, { qos: 1 });
      for (const result of ['ok', 'refused'] as const) {
        const command = nextMessage(controller, cmdTopic);
        const settled = fx.hub.openDoor({ doorId: fx.doorId, seconds: 3, issuedBy: { type: 'user', id: 'u-reception' } });
        await controller.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: (await command).payload.id, result }), { qos: 1 });
        await settled;
      }
      await fx.hub.putRule({ type: 'user', id: 'u-admin' }, {
        id: 'lobby-display', site: 'hq', trigger: { topic: 'portier/hq/+/event', when: { type: 'button' } },
        actions: [{ type: 'mqtt.publish', topic: 'portier/hq/display-1/display', payload: { content: 'welcome' } }],
      });
      const fired = waitForEvent(fx.hub.observer, 'ruleFired', (f) => f.rule === 'lobby-display');
      await clients[1]!.publishAsync('portier/hq/sensor-1/event', JSON.stringify({ type: 'button' }), { qos: 1 });
      await fired;
      const operator = lines.filter((l) => /^(door|rules): /.test(l.msg));
      expect(operator.map((l) => [l.level, l.msg, l.door ?? l.rule, l.site])).toEqual([
        [30, 'door: unlock acknowledged by the controller', fx.doorId, 'hq'],
        [40, 'door: unlock refused by the controller', fx.doorId, 'hq'],
        [30, 'rules: rule fired', 'lobby-display', 'hq'],
      ]);
      expect(operator[2]).toMatchObject({ device: 'sensor-1', actions: ['mqtt.publish:ok'] });
      expect(JSON.stringify(operator)).not.toContain('u-reception');
    } finally {
      detach();
      for (const c of clients) await c.endAsync();
      await fx.close();
    }
  });
});
