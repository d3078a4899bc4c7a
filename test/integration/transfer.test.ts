// Blind transfer through the real gateway (socket.io): the receptionist who
// answered hands the visitor to another entry and leaves at once; the terminal
// sees `transferring`; answered, the target is connected; unanswered, the call
// returns to the receptionist, or to the reception when she is not available.
// Each test asserts the call events every participant receives, in order.
import { describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { ack, next, answeredCall, type Gw, type SiteFixture } from '../support/signaling.ts';
import { callEventGateway } from '../support/gateway-hooks.ts';

describe('blind transfer', () => {
  let gw: Gw;
  let site: SiteFixture;
  const { client, seen, routers } = callEventGateway((g, s) => { gw = g; site = s; });

  const hangUp = async (desk: Socket, terminal: Socket, callId: string) => {
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(desk, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ outcome: 'answered', reason: 'hangup-desk' });
    expect(routers()).toBe(0);
  };

  it('answered: the target is connected, the receptionist left at once; a host may not transfer', async () => {
    const { rita, rolf, anna, terminal, callId } = await answeredCall(gw, site, client);
    const transferring = next(terminal, 'call.state', (m: any) => m.step === 'transferring');
    const ring = next(anna, 'call.ring');
    expect(await ack(rita, 'call.transfer', { callId, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    await transferring;
    expect(await ring).toMatchObject({ callId });
    // The receptionist is out of the call at once: her hang-up is refused, she is free for the next call.
    expect(await ack(rita, 'call.hangup', { callId })).toMatchObject({ ok: false, error: 'forbidden' });
    expect(gw.gateway.services.calls.isBusy(site.users.rita!.id)).toBe(false);
    const connected = next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await ack(anna, 'call.answer', { callId })).toMatchObject({ ok: true });
    await connected;
    // A host holds no call.transfer.
    expect(await ack(anna, 'call.transfer', { callId, entryId: site.entries['Empfang'] })).toMatchObject({ ok: false, error: 'forbidden' });
    await hangUp(anna, terminal, callId);
    expect(seen.get(terminal)).toEqual(['call.state ringing', 'call.state answered', 'call.state transferring', 'call.state answered', 'call.state ended']);
    expect(seen.get(rita)).toEqual(['call.ring', 'call.state answered']);
    expect(seen.get(rolf)).toEqual(['call.ring', 'call.stop-ring answered-elsewhere']);
    expect(seen.get(anna)).toEqual(['call.ring', 'call.state answered', 'call.state ended']);
    const audit = await site.admin.get('/api/audit?action=call.transfer');
    expect(audit.body).toEqual([expect.objectContaining({ action: 'call.transfer', target_type: 'call', target_id: callId, actor_id: site.users.rita!.id })]);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });

  it('unanswered: the call returns to the receptionist who transferred it', async () => {
    const { rita, rolf, anna, terminal, callId } = await answeredCall(gw, site, client);
    const ring = next(anna, 'call.ring');
    expect(await ack(rita, 'call.transfer', { callId, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    await ring;
    const back = next(rita, 'call.ring', (m: any) => m.callId === callId);
    expect(await ack(anna, 'call.decline', { callId })).toEqual({ ok: true });
    await back;
    const connected = next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await ack(rita, 'call.answer', { callId })).toMatchObject({ ok: true });
    await connected;
    await hangUp(rita, terminal, callId);
    // The terminal showed "connecting you" until the receptionist took the call back; rolf was not rung again.
    expect(seen.get(terminal)).toEqual(['call.state ringing', 'call.state answered', 'call.state transferring', 'call.state answered', 'call.state ended']);
    expect(seen.get(rita)).toEqual(['call.ring', 'call.state answered', 'call.ring', 'call.state answered', 'call.state ended']);
    expect(seen.get(anna)).toEqual(['call.ring', 'call.stop-ring declined']);
    expect(seen.get(rolf)).toEqual(['call.ring', 'call.stop-ring answered-elsewhere']);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });

  it('unanswered while the receptionist is away: the call goes to the site\'s reception routing', async () => {
    const { rita, rolf, anna, terminal, callId } = await answeredCall(gw, site, client);
    expect(await ack(rita, 'presence.set', { state: 'away' })).toMatchObject({ ok: true });
    const ring = next(anna, 'call.ring');
    expect(await ack(rita, 'call.transfer', { callId, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    await ring;
    const reception = next(rolf, 'call.ring', (m: any) => m.callId === callId);
    expect(await ack(anna, 'call.decline', { callId })).toEqual({ ok: true });
    await reception;
    const connected = next(terminal, 'call.state', (m: any) => m.step === 'answered');
    expect(await ack(rolf, 'call.answer', { callId })).toMatchObject({ ok: true });
    await connected;
    await hangUp(rolf, terminal, callId);
    expect(seen.get(terminal)).toEqual(['call.state ringing', 'call.state answered', 'call.state transferring', 'call.state answered', 'call.state ended']);
    expect(seen.get(rita)).toEqual(['call.ring', 'call.state answered']);
    expect(seen.get(rolf)).toEqual(['call.ring', 'call.stop-ring answered-elsewhere', 'call.ring', 'call.state answered', 'call.state ended']);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });
});
