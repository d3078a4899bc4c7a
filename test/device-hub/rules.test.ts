// Rules with fake time: trigger matching, conditions in the site's time zone,
// presence, cooldown, delays that survive a restart, each action, audit entries.
// Devices send real MQTT messages; rules are saved through the hub's facade or
// read from its rule directory; the hub's observer tells when a rule ran.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startHub, waitForEvent, connect, device, closeClient, nextMessage, storedTimers, ManualClock, type HubFixture } from '../support/mqtt.ts';
import type { DeviceKind, HubPorts, Rule } from '../../src/device-hub/index.ts';

const admin = { type: 'user' as const, id: 'u-admin' };

/** A user holding the host role on hq: a desk user a rule of hq may notify. */
async function hqUser(fx: HubFixture, login: string): Promise<string> {
  const id = await fx.svc.store.transaction((tx) => fx.svc.accounts.create(tx, { login, displayName: login }));
  await fx.svc.store.transaction((tx) => fx.svc.roles.assign(tx, { type: 'user', id }, 'host', 'hq'));
  return id;
}

function fakePorts() {
  const calls: Array<[string, unknown]> = [];
  const ports: HubPorts = {
    terminals: { show: async (r) => { calls.push(['show', r]); }, wake: async (t) => { calls.push(['wake', t]); } },
    calls: { start: async (r) => { calls.push(['call', r]); return { callId: 'call-42' }; }, isInCall: (t) => t === 'busy-terminal' },
    desks: { notify: async (r) => { calls.push(['notify', r]); } },
  };
  return { ports, calls };
}

describe('device hub: rules', () => {
  let fx: HubFixture;
  let clock: ManualClock;
  let fake: ReturnType<typeof fakePorts>;
  /** A terminal and a desk user of hq: a rule names only what belongs to its own site. */
  let lobby: string;
  let u1: string;
  /** The hub's rule directory (read at start and by reloadRules()). */
  let rulesDir: string;
  /** Device secrets by id, and their connections, opened on first use and again after a restart. */
  const secrets = new Map<string, string>();
  const clients = new Map<string, MqttClient>();
  const register = async (id: string, kind: DeviceKind, extra?: { terminalId?: string }) => {
    secrets.set(id, (await fx.register(id, kind, extra)).secret);
  };
  /** Device `id` publishes `payload` on its own `leaf` (QoS 1: handed to the hub when this resolves). */
  const send = async (id: string, leaf: string, payload: unknown, retain = false) => {
    let client = clients.get(id);
    if (!client?.connected) {
      await closeClient(client);
      client = await connect(fx.url.tcp, device({ id, secret: secrets.get(id)! }));
      clients.set(id, client);
    }
    await client.publishAsync(`portier/hq/${id}/${leaf}`, JSON.stringify(payload), { qos: 1, retain });
  };
  /** The hub restarts on the same store; the devices' connections end first (they reconnect on their next send). */
  const restart = async () => {
    for (const client of clients.values()) await closeClient(client);
    clients.clear();
    await fx.restart();
  };
  const motion = async (value = true) => {
    await send('sensor-1', 'event', { type: 'motion', value });
    await fx.hub.idle();
  };
  const fired = (rule: string) => waitForEvent(fx.hub.observer, 'ruleFired', (f: { rule: string }) => f.rule === rule);
  const put = async (rule: Rule) => { await fx.hub.putRule(admin, rule); };
  /** A rule file in the hub's rule directory, then read as an operator's reload would. */
  const ruleFile = async (file: string, rule: Rule) => {
    writeFileSync(join(rulesDir, file), JSON.stringify({ rules: [rule] }));
    expect(await fx.hub.reloadRules()).toEqual({ ok: true });
  };
  const button = { deviceId: 'sensor-1', topic: 'portier/hq/sensor-1/event', payload: { type: 'button' } };

  beforeEach(async () => {
    clock = new ManualClock();
    fake = fakePorts();
    rulesDir = mkdtempSync(join(tmpdir(), 'portier-rules-'));
    fx = await startHub({ clock, ports: fake.ports, settings: { commandAckMs: 5_000, rulesDir } });
    lobby = (await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'terminal', label: 'Lobby', siteId: 'hq' })).credential.id;
    u1 = await hqUser(fx, 'u1');
    await register('sensor-1', 'sensor', { terminalId: lobby });
    await register('door-1', 'door');
  });
  afterEach(async () => {
    for (const client of clients.values()) await closeClient(client);
    clients.clear();
    secrets.clear();
    await fx.close();
    rmSync(rulesDir, { recursive: true, force: true });
  });

  it('fires on a matching topic and payload, runs each action and audits them under one correlation id', async () => {
    await put({
      id: 'motion-welcome', site: 'hq', trigger: { topic: 'portier/hq/+/event', when: { type: 'motion', value: { ne: false } } },
      actions: [
        { type: 'terminal.show', terminal: lobby, message: { de: 'Willkommen', en: 'Welcome' }, duration_seconds: 10 },
        { type: 'mqtt.publish', topic: 'portier/hq/display-1/display', payload: { content: 'welcome', from: '{{device}}' } },
        { type: 'call.start', terminal: lobby, target: 'reception' },
        { type: 'desk.notify', role: 'reception', text: 'motion at {{device}}' },
      ],
    });
    // The display the rule publishes to, subscribed to its own display topic.
    await register('display-1', 'display');
    const display = await connect(fx.url.tcp, device({ id: 'display-1', secret: secrets.get('display-1')! }));
    clients.set('display-1', display);
    await display.subscribeAsync('portier/hq/display-1/display', { qos: 1 });
    const published: string[] = [];
    display.on('message', (_t, p) => published.push(p.toString()));
    const shown = nextMessage(display, 'portier/hq/display-1/display');
    const firings: string[] = [];
    fx.hub.observer.on('ruleFired', (r) => firings.push(r.rule));
    const f = fired('motion-welcome');
    await motion(false); // value false: no match
    await motion(true);
    const [{ outcomes, correlationId }] = await f;
    expect(outcomes.map((o) => o.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    await shown;
    expect(firings).toEqual(['motion-welcome']); // one firing: one publish
    expect(published).toEqual(['{"content":"welcome","from":"sensor-1"}']);
    expect(fake.calls.map(([k]) => k).sort()).toEqual(['call', 'notify', 'show', 'wake']); // wake: the built-in motion flow
    expect(fake.calls.find(([k]) => k === 'notify')![1]).toMatchObject({ text: 'motion at sensor-1', role: 'reception' });
    const audit = await fx.svc.audit.list({ correlationId });
    expect(audit.map((a) => a.action).reverse()).toEqual(['rule.fire', 'rule.action.terminal.show', 'rule.action.mqtt.publish', 'rule.action.call.start', 'rule.action.desk.notify']);
  });

  it('acts only on its own site: another site\'s door, terminal, device and desk user are refused when saved and when a rule file\'s rule fires', async () => {
    const admin = { type: 'system' as const, id: null };
    await fx.svc.sites.create(admin, { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' });
    const labDoor = await fx.svc.sites.createDoor(admin, 'lab', 'Lab door');
    const labTerminal = (await fx.svc.credentials.issue(admin, { kind: 'terminal', label: 'Lab lobby', siteId: 'lab' })).credential.id;
    await fx.hub.registerDevice(admin, { id: 'lab-sensor', kind: 'sensor', siteId: 'lab' });
    const labUser = await fx.svc.store.transaction((tx) => fx.svc.accounts.create(tx, { login: 'lena', displayName: 'Lena' }));
    await fx.svc.store.transaction((tx) => fx.svc.roles.assign(tx, { type: 'user', id: labUser }, 'host', 'lab'));
    const base = { id: 'cross-site', site: 'hq', trigger: { topic: 'portier/hq/+/event', when: { type: 'motion' } } } as const;
    const refusals: Array<[Partial<Rule>, string]> = [
      [{ actions: [{ type: 'door.unlock', door: labDoor.id, seconds: 5 }] }, `field /actions/0/door: door ${labDoor.id} is not a door of site hq`],
      [{ actions: [{ type: 'terminal.show', terminal: labTerminal, message: { de: 'x', en: 'x' } }] }, '/actions/0/terminal'],
      [{ actions: [{ type: 'call.start', terminal: labTerminal, target: 'reception' }] }, '/actions/0/terminal'],
      [{ actions: [{ type: 'desk.notify', user: labUser, text: 'x' }] }, `field /actions/0/user: user ${labUser} is not a user of site hq`],
      [{ conditions: { presence: [{ device: 'lab-sensor', online: true }] }, actions: [{ type: 'desk.notify', role: 'reception', text: 'x' }] }, 'field /conditions/presence/0/device: device lab-sensor is not a device of site hq'],
      [{ conditions: { terminal_idle: labTerminal }, actions: [{ type: 'desk.notify', role: 'reception', text: 'x' }] }, '/conditions/terminal_idle'],
    ];
    for (const [part, message] of refusals) {
      await expect(fx.hub.putRule(admin, { ...base, ...part } as Rule)).rejects.toThrow(`rule cross-site ${message.startsWith('/') ? `field ${message}` : message}`);
    }
    expect(await fx.hub.rule('cross-site')).toBeUndefined();

    // Rule files are read before devices register, so their rules are checked when they fire.
    await ruleFile('cross.yaml', {
      ...base,
      actions: [
        { type: 'door.unlock', door: labDoor.id, seconds: 5 },
        { type: 'terminal.show', terminal: labTerminal, message: { de: 'x', en: 'x' } },
        { type: 'mqtt.publish', topic: 'portier/lab/display-1/display', payload: {} },
        { type: 'mqtt.publish', topic: `portier/hq/doors/${fx.doorId}/cmd`, payload: { action: 'unlock' } },
        { type: 'desk.notify', user: labUser, text: 'x' },
      ],
    });
    const f = fired('cross-site');
    await motion(true);
    const [{ outcomes }] = await f;
    expect(outcomes.map((o) => o.outcome)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(outcomes[4]!.detail).toBe(`user ${labUser} is not a user of site hq`);
    expect(fake.calls.filter(([k]) => k === 'show' || k === 'notify')).toEqual([]);
  });

  it('never looks at another site\'s device or terminal for a condition: a dry run names it as foreign, not its state', async () => {
    const admin = { type: 'system' as const, id: null };
    await fx.svc.sites.create(admin, { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' });
    await fx.hub.registerDevice(admin, { id: 'lab-sensor', kind: 'sensor', siteId: 'lab' });
    const labTerminal = (await fx.svc.credentials.issue(admin, { kind: 'terminal', label: 'Lab lobby', siteId: 'lab' })).credential.id;
    await ruleFile('probe.yaml', {
      id: 'probe', site: 'hq', trigger: { topic: 'portier/hq/sensor-1/event' },
      conditions: { presence: [{ device: 'lab-sensor', online: false }], terminal_idle: labTerminal },
      actions: [{ type: 'desk.notify', role: 'reception', text: 'x' }],
    });
    expect((await fx.hub.dryRun(button))[0]!.reasons).toEqual(['device lab-sensor is not a device of site hq', `terminal ${labTerminal} is not a terminal of site hq`]);
  });

  it('checks the time window and weekday in the site time zone (dry run says why) with presence and terminal-idle conditions holding', async () => {
    await put({
      id: 'office-hours', site: 'hq', trigger: { topic: 'portier/hq/sensor-1/event' },
      conditions: { time: { from: '08:00', to: '18:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }, presence: [{ device: 'door-1', online: false }], terminal_idle: lobby },
      actions: [{ type: 'desk.notify', role: 'reception', text: 'x' }],
    });
    // Monday 10:00 in Berlin (09:00 UTC).
    expect(await fx.hub.dryRun(button)).toEqual([{ rule: 'office-hours', fires: true, reasons: [], why: [], actions: ['desk.notify'] }]);
    await clock.advance(8 * 3_600_000 + 30 * 60_000); // 18:30 Berlin
    expect((await fx.hub.dryRun(button))[0]!.reasons).toEqual(['local time 18:30 (Europe/Berlin) is outside 08:00-18:00']);
    await clock.advance(4 * 24 * 3_600_000 + 16 * 3_600_000); // Saturday 10:30
    expect((await fx.hub.dryRun(button))[0]!.reasons).toEqual(['sat is not one of mon, tue, wed, thu, fri']);
  });

  it('keeps a cooldown per device, also across a restart', async () => {
    await put({ id: 'wake', site: 'hq', trigger: { topic: 'portier/hq/+/event', when: { type: 'motion' } }, cooldown_seconds: 60, actions: [{ type: 'desk.notify', user: u1, text: 'hi' }] });
    let count = 0;
    fx.hub.observer.on('ruleFired', () => count++);
    const first = fired('wake');
    await motion();
    await first;
    await motion();
    await restart();
    fx.hub.observer.on('ruleFired', () => count++);
    const skippedAgain = fx.hub.dryRun({ deviceId: 'sensor-1', topic: 'portier/hq/sensor-1/event', payload: { type: 'motion' } });
    expect((await skippedAgain)[0]!.reasons).toEqual(['cooling down (60 s)']);
    await clock.advance(61_000);
    const second = fired('wake');
    await motion();
    await second;
    expect(count).toBe(2);
  });

  it('fires a delayed rule (door held open 30 s) only if the trigger still holds, and the timer survives a restart', async () => {
    await put({
      id: 'held-open', site: 'hq', trigger: { topic: 'portier/hq/door-1/state', when: { state: { in: ['open', 'held-open'] } } },
      delay_seconds: 30, actions: [{ type: 'desk.notify', role: 'reception', text: 'door open for 30 s' }],
    });
    const state = async (s: string) => {
      await send('door-1', 'state', { state: s });
      await fx.hub.idle();
    };
    await state('open');
    await clock.advance(10_000);
    await state('closed'); // cancels
    expect(await storedTimers(fx)).toEqual([]);
    await state('open');
    expect(await storedTimers(fx)).toEqual(['rule-delay']);
    await restart();
    const f = fired('held-open');
    await clock.advance(30_000);
    const [{ outcomes }] = await f;
    expect(outcomes).toEqual([{ type: 'desk.notify', outcome: 'ok', detail: 'reception' }]);
  });

  it('does not keep the card number of an event that waits for a delayed rule', async () => {
    await register('reader-1', 'card-reader');
    await put({
      id: 'late-card', site: 'hq', trigger: { topic: 'portier/hq/reader-1/card' },
      delay_seconds: 5, actions: [{ type: 'desk.notify', role: 'reception', text: 'card read 5 s ago' }],
    });
    await send('reader-1', 'card', { card: '04A1B2C3D4' });
    await fx.hub.idle();
    const rows = await fx.svc.store.db.selectFrom('hub_timers' as never).selectAll().execute() as Array<{ kind: string; data: string }>;
    const delayed = rows.filter((r) => r.kind === 'rule-delay');
    expect(delayed).toHaveLength(1);
    expect(delayed[0]!.data).not.toContain('04A1B2C3D4');
    const f = fired('late-card');
    await clock.advance(5_000);
    expect((await f)[0].outcomes).toEqual([{ type: 'desk.notify', outcome: 'ok', detail: 'reception' }]);
  });

  it('audits an action whose service is absent as failed and goes on', async () => {
    for (const client of clients.values()) await closeClient(client);
    clients.clear();
    await fx.close();
    fx = await startHub({ clock });
    lobby = (await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'terminal', label: 'Lobby', siteId: 'hq' })).credential.id;
    await fx.hub.putRule(admin, { id: 'show', site: 'hq', trigger: { topic: 'portier/hq/sensor-1/event' }, actions: [{ type: 'terminal.show', terminal: lobby, content: 'welcome' }, { type: 'mqtt.publish', topic: 'portier/hq/x/display', payload: 'ok' }] });
    await register('sensor-1', 'sensor');
    const f = fired('show');
    await motion();
    const [{ outcomes }] = await f;
    expect(outcomes.map((o) => [o.type, o.outcome])).toEqual([['terminal.show', 'failed'], ['mqtt.publish', 'ok']]);
    expect(outcomes[0]!.detail).toMatch(/signaling not running/);
  });

  it('door.unlock without an acknowledgement in time is reported as failed with the firing\'s correlation id', async () => {
    await put({ id: 'button-opens', site: 'hq', trigger: { topic: 'portier/hq/sensor-1/event', when: { type: 'button' } }, actions: [{ type: 'door.unlock', door: fx.doorId, seconds: 4 }] });
    const f = fired('button-opens');
    const issued = waitForEvent(fx.hub.observer, 'commandIssued');
    await send('sensor-1', 'event', { type: 'button' });
    const [{ correlationId }] = await f;
    await issued;
    const settled = waitForEvent(fx.hub.observer, 'commandSettled');
    await clock.advance(5_000);
    expect((await settled)[1]).toBe('timeout');
    const audit = await fx.svc.audit.list({ correlationId, action: 'door.unlock' });
    expect(audit.map((a) => a.outcome)).toEqual(['failed', 'ok']);
  });

  it('never fires for a retained replay', async () => {
    await put({ id: 'any', site: 'hq', trigger: { topic: 'portier/hq/#' }, actions: [{ type: 'desk.notify', user: u1, text: 'x' }] });
    const skipped = waitForEvent(fx.hub.observer, 'ruleSkipped');
    await send('sensor-1', 'event', { type: 'motion' }, true);
    await skipped;
    expect(fake.calls).toEqual([]);
  });

  it('keeps versions of a rule and audits every change', async () => {
    const rule: Rule = { id: 'v', site: 'hq', trigger: { topic: 'portier/hq/sensor-1/event' }, actions: [{ type: 'desk.notify', user: u1, text: 'one' }] };
    await fx.hub.putRule(admin, rule);
    await fx.hub.putRule(admin, { ...rule, actions: [{ type: 'desk.notify', user: u1, text: 'two' }] });
    await fx.hub.removeRule(admin, 'v');
    expect((await fx.hub.ruleVersions('v')).map((v) => [v.version, v.definition ? 'def' : null])).toEqual([[1, 'def'], [2, 'def'], [3, null]]);
    expect((await fx.svc.audit.list({ action: 'rule.write' })).length).toBe(2);
    await expect(fx.hub.putRule(admin, { ...rule, trigger: { topic: 'elsewhere/#' } })).rejects.toThrow(/rule field \/trigger\/topic/);
  });
});
