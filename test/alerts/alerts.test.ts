// The Alerts component against real peers: a local HTTP server as the webhook
// receiver, the embedded broker (device hub) with a real mqtt.js integration
// subscriber, real device presence; time on a manual clock. The probe, quality
// monitor, SIP bridge and worker pool are stand-in emitters with their event maps
// (their own tests prove when they emit).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { MqttClient } from 'mqtt';
import { TypedEmitter } from '../../src/core/index.ts';
import { Alerts, alertTopic, INCIDENT_CLOCKS, type AlertMessage, type AlertSettings, type AlertsEvents } from '../../src/alerts/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startHub, connect, device, closeClient, nextMessage, granted, type HubFixture } from '../support/mqtt.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

class Emitter<E extends Record<string, unknown[]>> extends TypedEmitter<E> {
  fire<K extends keyof E & string>(event: K, ...args: E[K]): void { this.safeEmit(event, ...args); }
}
type ProbeEvents = { down: [{ since: number; at: number }]; up: [{ at: number }] };
type QualityEvents = {
  'low-quality': [{ callId: string; participantId: string; mos: number; intervals: number }];
  recovered: [{ callId: string; participantId: string; mos: number }];
  summary: [{ callId: string }];
};
type SipEvents = { account: [{ id: string; state: string; reason?: string; code?: number }] };
type SfuEvents = { workerdied: [number, Error]; workerreplaced: [number, number] };

const SECRET = 'hook-secret-4f1c9a';

/** The next `event` of the component (its webhook outcomes are events, so tests move the clock only after them). */
function next<K extends 'delivered' | 'dropped' | 'webhook-failed'>(a: Alerts, event: K): Promise<AlertsEvents[K][0]> {
  return new Promise((resolve) => a.once(event, ((m: AlertsEvents[K][0]) => resolve(m)) as never));
}

function logSink() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  return { lines, logger };
}

describe('alerts', () => {
  let fx: HubFixture;
  let monitor: MqttClient;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let alerts: Alerts | undefined;
  const probe = new Emitter<ProbeEvents>();
  const quality = new Emitter<QualityEvents>();
  const sip = new Emitter<SipEvents>();
  const sfu = new Emitter<SfuEvents>();

  beforeAll(async () => {
    fx = await startHub();
    receiver = await startWebhookReceiver();
    const issued = await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'api-token', label: 'monitoring' });
    await fx.svc.store.transaction((tx) => fx.svc.roles.assign(tx, { type: 'credential', id: issued.credential.id }, 'admin', null));
    monitor = await connect(fx.url.tcp, device({ id: issued.credential.id, secret: issued.secret }));
    // An integration may read the alerts (docs/devices.md: read-only on portier/#).
    expect(await granted(monitor, ['portier/$alerts/#'])).toEqual([1]);
  });

  afterEach(async () => {
    await alerts?.close();
    alerts = undefined;
    receiver.answer(204);
    receiver.received.length = 0;
  });

  afterAll(async () => {
    await closeClient(monitor);
    await receiver.close();
    await fx.close();
  });

  function build(clock: ManualClock, webhook: Partial<NonNullable<AlertSettings['webhook']>> = {}, logger = pino({ level: 'silent' })): Alerts {
    alerts = new Alerts({
      clock, logger,
      settings: { mqtt: true, webhook: { url: receiver.url(`/hooks/${SECRET}?token=${SECRET}`), timeoutMs: 5_000, attempts: 3, retryMs: 10_000, maxPending: 100, ...webhook } },
      sources: { probe, quality, sip, sfu, devices: fx.hub.observer },
      publish: (topic, payload, opts) => fx.hub.publish(topic, payload, opts),
    });
    return alerts;
  }

  it('a probe down twice gives one class-1 alert with the contract clocks; up gives one recovery, on the webhook and MQTT', async () => {
    const clock = new ManualClock();
    const a = build(clock);
    const opened = clock.now();
    const onMqtt = nextMessage(monitor, alertTopic(null, 'probe'));
    const delivered = next(a, 'delivered');
    probe.fire('down', { since: opened - 60_000, at: opened });
    probe.fire('down', { since: opened - 60_000, at: opened });
    await delivered;
    const open: AlertMessage = receiver.received[0]!.body;
    expect(open).toMatchObject({
      id: 'probe', kind: 'probe-down', state: 'open', incidentClass: 1, siteId: null, openedAt: opened,
      reactionDueAt: opened + 5 * 3_600_000, restoreDueAt: opened + 24 * 3_600_000,
      reactionLeftMs: 5 * 3_600_000, restoreLeftMs: 24 * 3_600_000,
    });
    expect(open.text.de).toMatch(/Dienst nicht verfügbar/);
    expect(open.text.en).toMatch(/service down/);
    const mqtt = await onMqtt;
    expect(mqtt.payload).toMatchObject({ id: 'probe', state: 'open', incidentClass: 1 });
    expect(mqtt.topic).toBe('portier/$alerts/_/probe');

    // An hour on, the open alert shows an hour less on both clocks.
    await clock.advance(3_600_000);
    expect(a.list()).toMatchObject([{ id: 'probe', reactionLeftMs: 4 * 3_600_000, restoreLeftMs: 23 * 3_600_000 }]);

    const recovered = nextMessage(monitor, alertTopic(null, 'probe'), 30_000, (p) => p !== '');
    const deliveredRecovery = next(a, 'delivered');
    probe.fire('up', { at: clock.now() });
    probe.fire('up', { at: clock.now() });
    await deliveredRecovery;
    expect((await recovered).payload).toMatchObject({ state: 'recovered', durationMs: 3_600_000 });
    expect(receiver.received.map((r) => [r.body.id, r.body.state])).toEqual([['probe', 'open'], ['probe', 'recovered']]);
    expect(receiver.received[1]!.body).toMatchObject({ incidentClass: 1, reactionLeftMs: 0, restoreLeftMs: 0, text: { en: expect.stringMatching(/^Recovered: /), de: expect.stringMatching(/^Behoben: /) } });
    expect(a.list()).toEqual([]);
  });

  it('deduplicates per open condition and recovers each on its own clear; classes follow the contract', async () => {
    const clock = new ManualClock();
    const a = build(clock);
    const seen: AlertMessage[] = [];
    a.on('alert', (m) => seen.push(m));
    quality.fire('low-quality', { callId: 'c1', participantId: 'p1', mos: 2.9, intervals: 3 });
    quality.fire('low-quality', { callId: 'c1', participantId: 'p1', mos: 2.7, intervals: 3 });
    quality.fire('low-quality', { callId: 'c1', participantId: 'p2', mos: 3.1, intervals: 3 });
    sip.fire('account', { id: 'pbx', state: 'failed', reason: 'rejected', code: 403 });
    sip.fire('account', { id: 'pbx', state: 'registering' });
    sip.fire('account', { id: 'pbx', state: 'failed', reason: 'timeout' });
    sfu.fire('workerdied', 0, new Error('killed'));
    expect(seen.map((m) => [m.id, m.incidentClass])).toEqual([['call:c1:p1', 3], ['call:c1:p2', 3], ['sip:pbx', 2], ['worker:0', 2]]);
    expect(seen[2]!.reactionLeftMs).toBe(INCIDENT_CLOCKS[2].reactionMs);
    expect(seen[0]!.restoreLeftMs).toBe(INCIDENT_CLOCKS[3].restoreMs);

    quality.fire('recovered', { callId: 'c1', participantId: 'p1', mos: 4.2 });
    quality.fire('summary', { callId: 'c1' }); // the call ended: its other leg's alert clears too
    sip.fire('account', { id: 'pbx', state: 'registered' });
    sfu.fire('workerreplaced', 0, 1234);
    sfu.fire('workerreplaced', 0, 1234);
    expect(seen.slice(4).map((m) => [m.id, m.state])).toEqual([
      ['call:c1:p1', 'recovered'], ['call:c1:p2', 'recovered'], ['sip:pbx', 'recovered'], ['worker:0', 'recovered'],
    ]);
    await receiver.requests(8);
    expect(receiver.received).toHaveLength(8);
    expect(a.list()).toEqual([]);
  });

  it('a door controller going offline is a retained class-2 alert a later subscriber still gets; back online clears it', async () => {
    const clock = new ManualClock();
    build(clock);
    const door = await fx.register('door-1', 'door');
    const client = await connect(fx.url.tcp, device(door));
    const topic = alertTopic('hq', 'device:door-1');
    const open = nextMessage(monitor, topic);
    await client.endAsync(true);
    expect((await open).payload).toMatchObject({ kind: 'device-offline', incidentClass: 2, siteId: 'hq', subject: { device: 'door-1', deviceKind: 'door' } });

    const issued = await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'api-token', label: 'late reader' });
    await fx.svc.store.transaction((tx) => fx.svc.roles.assign(tx, { type: 'credential', id: issued.credential.id }, 'admin', null));
    const late = await connect(fx.url.tcp, device({ id: issued.credential.id, secret: issued.secret }));
    const retained = nextMessage(late, topic);
    await late.subscribeAsync('portier/$alerts/#', { qos: 1 });
    expect(await retained).toMatchObject({ retain: true, payload: { state: 'open', id: 'device:door-1' } });

    const recovered = nextMessage(monitor, topic, 30_000, (p) => p !== '');
    const back = await connect(fx.url.tcp, device(door));
    expect((await recovered).payload).toMatchObject({ state: 'recovered', incidentClass: 2 });
    // The retained open alert is gone: a new subscriber gets nothing retained for it.
    await closeClient(late);
    const later = await connect(fx.url.tcp, device({ id: issued.credential.id, secret: issued.secret }));
    const got: string[] = [];
    later.on('message', (t) => got.push(t));
    await later.subscribeAsync('portier/$alerts/hq/#', { qos: 1 });
    // Retained messages come right after the subscription; a publish after it arrives behind them.
    const marker = nextMessage(later, alertTopic('hq', 'marker'));
    await fx.hub.publish(alertTopic('hq', 'marker'), '{}', { qos: 1, retain: false });
    await marker;
    got.splice(got.indexOf(alertTopic('hq', 'marker')), 1);
    expect(got).toEqual([]);
    await closeClient(later);
    await closeClient(back);
  });

  it('a failing webhook is retried on the clock, then dropped with a log line without the URL; MQTT is not held up', async () => {
    const clock = new ManualClock();
    const log = logSink();
    const a = build(clock, { attempts: 3, retryMs: 10_000 }, log.logger);
    receiver.answer(503);
    const dropped = next(a, 'dropped');
    const failed = next(a, 'webhook-failed');
    const onMqtt = nextMessage(monitor, alertTopic(null, 'sip:pbx'));
    sip.fire('account', { id: 'pbx', state: 'failed', reason: 'timeout' });
    // The alert reached MQTT while the webhook is still failing.
    expect((await onMqtt).payload).toMatchObject({ state: 'open' });
    expect(await failed).toEqual({ id: 'sip:pbx', state: 'open', attempts: 1, reason: 'status 503' });
    await clock.advance(9_999);
    expect(receiver.received).toHaveLength(1);
    const second = next(a, 'webhook-failed');
    await clock.advance(1);
    expect((await second).attempts).toBe(2);
    expect(receiver.received).toHaveLength(2);
    await clock.advance(19_999);
    expect(receiver.received).toHaveLength(2);
    await clock.advance(1);
    const drop = await dropped;
    expect(drop).toEqual({ id: 'sip:pbx', state: 'open', attempts: 3, reason: 'status 503' });
    await clock.advance(3_600_000);
    expect(receiver.received).toHaveLength(3);
    const line = log.lines.find((l) => l.includes('webhook delivery failed'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ alert: 'sip:pbx', attempts: 3, reason: 'status 503' });
    expect(log.lines.join('\n')).not.toContain(SECRET);
  });

  it('a webhook that does not answer times out on the clock and is retried; close ends what is pending', async () => {
    const clock = new ManualClock();
    const a = build(clock, { attempts: 2, retryMs: 1_000, timeoutMs: 5_000 });
    receiver.answer('hang');
    const dropped = next(a, 'dropped');
    const failed = next(a, 'webhook-failed');
    probe.fire('down', { since: clock.now(), at: clock.now() });
    await receiver.requests(1);
    await clock.advance(5_000); // the request's timeout
    expect(await failed).toMatchObject({ attempts: 1, reason: 'timeout' });
    await clock.advance(1_000); // the retry delay
    await receiver.requests(2);
    await clock.advance(5_000);
    expect(await dropped).toMatchObject({ id: 'probe', attempts: 2, reason: 'timeout' });
    // A new message under way is aborted by close, and close does not wait for the receiver.
    probe.fire('up', { at: clock.now() });
    await receiver.requests(3);
    await a.close();
    expect(clock.pending).toBe(0);
  });
});
