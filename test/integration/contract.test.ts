// One typed contract (issue 10, slice 4): the server's events have TypeBox schemas
// as the clients' do, socket.io's namespaces are typed from them, and every event a
// real call sends to a terminal and to desks is one of them and matches its schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { TerminalServerEvents, DeskServerEvents } from '../../src/signaling/index.ts';

/** Records every event a socket receives (from connect on, besides the fixture's own buffer). */
function record(socket: Socket): Array<{ event: string; payload: unknown }> {
  const seen: Array<{ event: string; payload: unknown }> = [];
  socket.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
  return seen;
}

/** The events that are not in the schema map or do not match their schema, with the first error. */
function offContract(seen: Array<{ event: string; payload: unknown }>, schemas: Record<string, TSchema>): string[] {
  return seen.flatMap(({ event, payload }) => {
    const schema = schemas[event];
    if (!schema) return [`${event}: not in the contract`];
    const error = Value.Errors(schema, payload).First();
    return error ? [`${event}${error.path}: ${error.message}`] : [];
  });
}

describe('the server events follow their schemas', () => {
  let gw: Gw;
  let site: SiteFixture;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a call rung at two receptionists, answered by one, declined and hung up, with content and notices: every event on the contract', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    const rolf = await connect(gw, '/desk', site.users.rolf!.cookie);
    const seen = { terminal: record(terminal), rita: record(rita), rolf: record(rolf) };

    const started = await ack(terminal, 'call.start', { entryId: site.entries.Empfang });
    expect(started).toMatchObject({ ok: true });
    await next(rita, 'call.ring');
    await next(rolf, 'call.ring');
    expect(await ack(rita, 'call.answer', { callId: started.callId })).toMatchObject({ ok: true });
    await next(rolf, 'call.stop-ring');
    await next(terminal, 'call.state', (m: { step: string }) => m.step === 'answered');
    expect(await ack(rita, 'call.hangup', { callId: started.callId })).toEqual({ ok: true });
    await next(terminal, 'call.state', (m: { step: string }) => m.step === 'ended');

    const { signaling } = gw.gateway.services;
    signaling.showOnTerminal(site.terminal.id, { message: { de: 'Willkommen', en: 'Welcome' }, durationS: 5, priority: 1 });
    signaling.wakeTerminal(site.terminal.id);
    signaling.notifyDesks({ siteId: 'hq' }, { de: 'Paket', en: 'Parcel' });
    await next(terminal, 'terminal.show');
    await next(terminal, 'terminal.wake');
    await next(rita, 'desk.notify');
    await next(rolf, 'desk.notify');

    // The flow above produced these kinds of events at least: the check below is not vacuous.
    expect(new Set(seen.terminal.map((e) => e.event))).toEqual(new Set(['call.state', 'terminal.show', 'terminal.wake']));
    for (const name of ['call.ring', 'call.stop-ring', 'call.state', 'desk.notify']) expect(seen.rolf.map((e) => e.event).concat(seen.rita.map((e) => e.event))).toContain(name);
    expect(offContract(seen.terminal, TerminalServerEvents)).toEqual([]);
    expect(offContract([...seen.rita, ...seen.rolf], DeskServerEvents)).toEqual([]);
    for (const s of [terminal, rita, rolf]) s.close();
  });

  it('the schemas catch a payload off the contract (the check above can fail)', () => {
    expect(offContract([{ event: 'call.ring', payload: { callId: 'c1' } }], DeskServerEvents)).toHaveLength(1);
    expect(offContract([{ event: 'door.opened', payload: {} }], TerminalServerEvents)).toEqual(['door.opened: not in the contract']);
  });
});
