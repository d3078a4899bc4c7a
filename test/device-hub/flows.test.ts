// Built-in flows: card read → unlock the reader's door or deny on the nearest
// terminal; forced/held-open → alert the reception; relock check after an unlock,
// persisted across a restart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startHub, connect, device, closeClient, nextMessage, waitForEvent, storedTimers, ManualClock, TEST_CARD_KEY, type HubFixture } from '../support/mqtt.ts';
import { flowsOn } from '../support/hub-parts.ts';
import type { HubPorts } from '../../src/device-hub/index.ts';
import type { HubEvent } from '../../src/device-hub/messages.ts';

describe('device hub: built-in flows', () => {
  let fx: HubFixture;
  let clock: ManualClock;
  const calls: Array<[string, any]> = [];
  const ports: HubPorts = {
    terminals: { show: async (r) => { calls.push(['show', r]); }, wake: async (t) => { calls.push(['wake', t]); } },
    desks: { notify: async (r) => { calls.push(['notify', r]); } },
  };
  let reader: MqttClient;
  let door: MqttClient;
  let lobby: string;
  const cmdTopic = () => `portier/hq/doors/${fx.doorId}/cmd`;

  beforeEach(async () => {
    calls.length = 0;
    clock = new ManualClock();
    fx = await startHub({ clock, ports });
    lobby = (await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'terminal', label: 'Lobby', siteId: 'hq' })).credential.id;
    reader = await connect(fx.url.tcp, device(await fx.register('reader-1', 'card-reader', { terminalId: lobby })));
    door = await connect(fx.url.tcp, device(await fx.register('door-1', 'door')));
    await door.subscribeAsync(cmdTopic(), { qos: 1 });
    await fx.hub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: '04A1B2', holderRef: 'user-7', kind: 'employee' });
    await fx.hub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: 'V-1', holderRef: 'visit-3', kind: 'visitor', validFrom: clock.now() - 1, validUntil: clock.now() + 3_600_000 });
  });
  afterEach(async () => {
    await closeClient(reader);
    await closeClient(door);
    await fx.close();
  });

  it('motion wakes the terminal next to the sensor; a motion that ended, or one with no terminal near, wakes nothing', async () => {
    const near = await connect(fx.url.tcp, device(await fx.register('sensor-1', 'sensor', { terminalId: lobby })));
    const far = await connect(fx.url.tcp, device(await fx.register('sensor-2', 'sensor')));
    try {
      const sends = [[far, 'sensor-2', '{"type":"motion","value":true}'], [near, 'sensor-1', '{"type":"motion","value":false}'], [near, 'sensor-1', '{"type":"motion"}']] as const;
      for (const [client, id, payload] of sends) {
        const seen = waitForEvent(fx.hub.observer, 'event', (e) => e.deviceId === id);
        await client.publishAsync(`portier/hq/${id}/event`, payload, { qos: 1 });
        await seen;
        await fx.hub.idle();
      }
      expect(calls).toEqual([['wake', lobby]]);
    } finally {
      await closeClient(near);
      await closeClient(far);
    }
  });

  it('starts a flow (a promise the hub tracks) only for what a built-in flow reacts to: none for a stale read, a status, a button or motion with no terminal near', async () => {
    const part = flowsOn(fx.svc, clock, TEST_CARD_KEY);
    try {
      const event = (message: HubEvent['message'], extra: Partial<HubEvent> = {}): HubEvent => ({
        siteId: 'hq', deviceId: 'sensor-9', deviceKind: 'sensor', doorId: null, terminalId: null, credentialId: null,
        topic: `portier/hq/sensor-9/${message.leaf}`, message, at: clock.now(), fresh: true, ...extra,
      });
      const motion: HubEvent['message'] = { leaf: 'event', payload: { type: 'motion', value: true } };
      expect(part.flows.handle(event(motion))).toBeUndefined();
      expect(part.flows.handle(event({ leaf: 'event', payload: { type: 'button' } }))).toBeUndefined();
      expect(part.flows.handle(event({ leaf: 'status', payload: { online: true } }))).toBeUndefined();
      expect(part.flows.handle(event({ leaf: 'card', payload: { card: '04A1B2' } }, { fresh: false, doorId: fx.doorId }))).toBeUndefined();
      const wake = part.flows.handle(event(motion, { terminalId: lobby }));
      expect(wake).toBeInstanceOf(Promise);
      await wake;
    } finally {
      part.close();
    }
  });

  it('a known card unlocks the reader\'s door with `seconds` in the command (the controller relocks itself); no card number in the audit', async () => {
    const cmd = nextMessage(door, cmdTopic());
    await reader.publishAsync('portier/hq/reader-1/card', '{"card":"04A1B2","format":"uid"}', { qos: 1 });
    const { payload } = await cmd;
    expect(payload).toMatchObject({ action: 'unlock', seconds: 5 });
    const [entry] = await fx.svc.audit.list({ action: 'card.read' });
    expect(entry).toMatchObject({ outcome: 'ok', target_id: fx.doorId });
    expect(entry!.details).not.toContain('04A1B2'); // card numbers stay out of the audit log
  });

  it('a visitor badge works inside its validity window only; an unknown card is denied on the nearest terminal', async () => {
    const cmd = nextMessage(door, cmdTopic());
    await reader.publishAsync('portier/hq/reader-1/card', '{"card":"V-1","format":"qr"}', { qos: 1 });
    await cmd;
    await clock.advance(3_600_000);
    const denied = waitForEvent(fx.hub.observer, 'event');
    await reader.publishAsync('portier/hq/reader-1/card', '{"card":"V-1","format":"qr"}', { qos: 1 });
    await denied;
    await fx.hub.idle();
    const unknown = waitForEvent(fx.hub.observer, 'event');
    await reader.publishAsync('portier/hq/reader-1/card', '{"card":"nobody"}', { qos: 1 });
    await unknown;
    await fx.hub.idle();
    const reads = (await fx.svc.audit.list({ action: 'card.read' })).reverse().map((a) => [a.outcome, JSON.parse(a.details!).reason]);
    expect(reads).toEqual([['ok', undefined], ['denied', 'expired'], ['denied', 'unknown-card']]);
    expect(calls.filter(([k]) => k === 'show').map(([, r]) => [r.terminalId, r.message.en])).toEqual([[lobby, 'Access denied'], [lobby, 'Access denied']]);
  });

  it('a forced door alerts the reception desks', async () => {
    const alert = waitForEvent(fx.hub.observer, 'event');
    await door.publishAsync('portier/hq/door-1/state', '{"state":"forced"}', { qos: 1, retain: true });
    await alert;
    await fx.hub.idle();
    expect(calls).toEqual([['notify', expect.objectContaining({ siteId: 'hq', role: 'reception', severity: 'alert', text: { de: 'Tür aufgebrochen', en: 'Door forced open' } })]]);
  });

  it('after an acknowledged unlock a relock check expects the door closed, and survives a restart', async () => {
    const cmd = nextMessage(door, cmdTopic());
    const result = fx.hub.openDoor({ doorId: fx.doorId, seconds: 5, issuedBy: { type: 'user', id: 'u1' } });
    const { payload } = await cmd;
    await door.publishAsync('portier/hq/door-1/state', '{"state":"open"}', { qos: 1 });
    await door.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: payload.id, result: 'ok' }), { qos: 1 });
    await result;
    await fx.hub.idle();
    for (let i = 0; i < 20 && (await storedTimers(fx)).length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(await storedTimers(fx)).toEqual(['relock-check']);
    await closeClient(door);
    await fx.restart();
    const notified = new Promise<void>((resolve) => { const t = setInterval(() => { if (calls.length) { clearInterval(t); resolve(); } }, 5); });
    await clock.advance(16_000);
    await notified;
    expect(calls[0]).toEqual(['notify', expect.objectContaining({ severity: 'alert', text: { de: 'Tür nicht geschlossen', en: 'Door not closed' } })]);
    expect((await fx.svc.audit.list({ action: 'door.relock-check' }))[0]).toMatchObject({ outcome: 'failed' });
  });
});
