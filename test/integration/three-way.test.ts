// Adding a colleague (three-way) through the real gateway: the receptionist in
// a call rings a host, who joins; the receptionist hangs up and leaves, the
// visitor and the host go on; the call ends when the last desk hangs up. Each
// participant's call events are asserted in order.
import { describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { ack, next, answeredCall, type Gw, type SiteFixture } from '../support/signaling.ts';
import { callEventGateway } from '../support/gateway-hooks.ts';

describe('add a colleague (three-way)', () => {
  let gw: Gw;
  let site: SiteFixture;
  const { client, seen, routers } = callEventGateway((g, s) => { gw = g; site = s; });

  const OPUS = { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 };
  /** Produces audio over a fresh send transport (no DTLS needed to produce); returns the producer id. */
  const produce = async (s: Socket, callId: string, ssrc: number): Promise<string> => {
    const t = await ack(s, 'media.transport', { callId });
    const r = await ack(s, 'media.produce', { callId, transportId: t.transport.id, kind: 'audio', rtpParameters: { codecs: [OPUS], encodings: [{ ssrc }] } });
    expect(r).toMatchObject({ ok: true });
    return r.producerId;
  };

  it('the colleague joins and gets both others\' media, they get hers; the receptionist leaves by hanging up; the last desk ends the call', async () => {
    const { rita, rolf, anna, terminal, callId } = await answeredCall(gw, site, client);
    const fromTerminal = await produce(terminal, callId, 1111);
    const fromRita = await produce(rita, callId, 2222);
    const ring = next(anna, 'call.ring');
    expect(await ack(rita, 'call.add', { callId, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    expect(await ring).toMatchObject({ callId });
    const joined = await ack(anna, 'call.answer', { callId });
    expect(joined).toMatchObject({ ok: true, state: { step: 'answered' } });
    // Every other participant's media, and hers to both of them.
    expect(joined.producers.map((p: { producerId: string }) => p.producerId).sort()).toEqual([fromTerminal, fromRita].sort());
    const fromAnna = await produce(anna, callId, 3333);
    for (const s of [terminal, rita]) expect(await next(s, 'media.producer', (m: any) => m.producerId === fromAnna)).toMatchObject({ callId, kind: 'audio' });
    const calls = gw.gateway.services.calls;
    expect(calls.get(callId).desks).toEqual([site.users.rita!.id, site.users.anna!.id]);
    // A transfer is refused while a colleague is in the call.
    expect(await ack(rita, 'call.transfer', { callId, entryId: site.entries['Empfang'] })).toMatchObject({ ok: false, error: 'conflict' });
    expect(await ack(rita, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(calls.get(callId).desks).toEqual([site.users.anna!.id]);
    expect(calls.isBusy(site.users.rita!.id)).toBe(false);
    expect(routers()).toBe(1);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(anna, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(routers()).toBe(0);
    expect(seen.get(terminal)).toEqual(['call.state ringing', 'call.state answered', 'call.state ended']);
    expect(seen.get(rita)).toEqual(['call.ring', 'call.state answered']);
    expect(seen.get(anna)).toEqual(['call.ring', 'call.state ended']);
    expect(seen.get(rolf)).toEqual(['call.ring', 'call.stop-ring answered-elsewhere']);
    const audit = await site.admin.get('/api/audit?action=call.add');
    expect(audit.body).toEqual([expect.objectContaining({ target_id: callId, actor_id: site.users.rita!.id })]);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });

  it('a colleague who declines changes nothing: the call goes on between the visitor and the receptionist', async () => {
    const { rita, rolf, anna, terminal, callId } = await answeredCall(gw, site, client);
    const ring = next(anna, 'call.ring');
    expect(await ack(rita, 'call.add', { callId, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    await ring;
    expect(await ack(anna, 'call.decline', { callId })).toEqual({ ok: true });
    expect(gw.gateway.services.calls.get(callId).desks).toEqual([site.users.rita!.id]);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(seen.get(terminal)).toEqual(['call.state ringing', 'call.state answered', 'call.state ended']);
    expect(seen.get(rita)).toEqual(['call.ring', 'call.state answered', 'call.state ended']);
    expect(seen.get(anna)).toEqual(['call.ring', 'call.stop-ring declined']);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });
});
