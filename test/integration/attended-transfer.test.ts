// Attended transfer through the real gateway (socket.io): the receptionist in a
// call consults a colleague while the visitor waits on hold (no media either
// way: what the terminal consumed of her is paused, what the colleague produces
// is not announced to it); complete connects the colleague and the visitor and
// the receptionist leaves; cancel, a decline or no answer return to the visitor.
// Each test asserts the events every participant receives, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, answeredCall, type Gw, type SiteFixture } from '../support/signaling.ts';

describe('attended transfer', () => {
  let gw: Gw;
  let site: SiteFixture;
  const open: Socket[] = [];
  /** Producer ids by who produced them, to show media.producer as "media.producer <who>". */
  const owners = new Map<string, string>();
  /** The call, consult and media.producer events a socket received, in order. */
  const log = new Map<Socket, string[]>();
  const seen = { get: (s: Socket) => log.get(s)?.map((e) => e.replace(/^media\.producer (.*)$/, (_, id: string) => `media.producer ${owners.get(id) ?? id}`)) };
  const client = async (ns: '/terminal' | '/desk', cookie: string) => {
    const s = await connect(gw, ns, cookie);
    open.push(s);
    const events: string[] = [];
    log.set(s, events);
    s.onAny((event: string, m: any) => {
      if (event === 'media.producer') events.push(`media.producer ${m.producerId}`);
      else if (event.startsWith('call.') || event.startsWith('consult.')) events.push([event, m?.step ?? m?.state ?? m?.reason ?? '', m?.reason && m?.state ? m.reason : ''].join(' ').trim());
    });
    return s;
  };
  const calls = () => gw.gateway.services.calls;
  const routers = () => gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0);

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
  });
  afterAll(async () => {
    open.forEach((s) => s.close());
    await gw?.close();
  });

  const OPUS = { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 };
  /** Produces audio over a fresh send transport (no DTLS needed to produce); returns the producer id. */
  const produce = async (s: Socket, who: string, callId: string, ssrc: number): Promise<string> => {
    const t = await ack(s, 'media.transport', { callId });
    const r = await ack(s, 'media.produce', { callId, transportId: t.transport.id, kind: 'audio', rtpParameters: { codecs: [OPUS], encodings: [{ ssrc }] } });
    expect(r).toMatchObject({ ok: true });
    owners.set(r.producerId, who);
    return r.producerId;
  };
  /** Consumes a producer over a fresh receive transport and resumes it; returns the consumer id. */
  const consume = async (s: Socket, callId: string, producerId: string): Promise<string> => {
    const { rtpCapabilities } = await ack(s, 'media.capabilities', { callId });
    const t = await ack(s, 'media.transport', { callId });
    const r = await ack(s, 'media.consume', { callId, transportId: t.transport.id, producerId, rtpCapabilities });
    expect(r).toMatchObject({ ok: true });
    expect(await ack(s, 'media.resume', { callId, consumerId: r.consumer.id })).toEqual({ ok: true });
    return r.consumer.id;
  };
  /** Whether the SFU pauses this consumer of the participant. */
  const paused = (callId: string, participantId: string, consumerId: string) =>
    calls().get(callId).media!.consumersOf(participantId).find((c) => c.consumerId === consumerId)?.paused;
  const audit = async (callId: string) => ((await site.admin.get(`/api/audit?correlationId=${callId}`)).body as Array<{ action: string; actor_id: string | null }>)
    .filter((e) => e.action.startsWith('call.consult')).map((e) => e.action).sort();

  /** An answered call in which the terminal hears rita (consumer resumed), and rita consults anna. */
  const consulting = async () => {
    const c = await answeredCall(gw, site, client);
    const fromTerminal = await produce(c.terminal, 'terminal', c.callId, 1111);
    const fromRita = await produce(c.rita, 'rita', c.callId, 2222);
    await next(c.terminal, 'media.producer', (m: any) => m.producerId === fromRita);
    await next(c.rita, 'media.producer', (m: any) => m.producerId === fromTerminal);
    const heard = await consume(c.terminal, c.callId, fromRita);
    const seenByRita = await consume(c.rita, c.callId, fromTerminal);
    expect(paused(c.callId, site.terminal.id, heard)).toBe(false);
    const onHold = next(c.terminal, 'call.state', (m: any) => m.step === 'on-hold');
    const ring = next(c.anna, 'call.ring');
    expect(await ack(c.rita, 'consult.start', { callId: c.callId, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    await onHold;
    expect(await ring).toMatchObject({ callId: c.callId });
    // The visitor hears nobody now and nobody hears it: what it consumed of rita and she of it is paused, and a resume does not change that.
    expect(paused(c.callId, site.terminal.id, heard)).toBe(true);
    expect(paused(c.callId, site.users.rita!.id, seenByRita)).toBe(true);
    expect(await ack(c.terminal, 'media.resume', { callId: c.callId, consumerId: heard })).toEqual({ ok: true });
    expect(paused(c.callId, site.terminal.id, heard)).toBe(true);
    return { ...c, fromTerminal, fromRita, heard, seenByRita };
  };

  it('completed: the colleague talks to the receptionist only, then takes the visitor; the receptionist leaves', async () => {
    const { rita, rolf, anna, terminal, callId, fromTerminal, fromRita } = await consulting();
    // Completing before anyone answered is a conflict; a second consult too.
    expect(await ack(rita, 'consult.complete', { callId })).toMatchObject({ ok: false, error: 'conflict', reason: 'consult.not-answered' });
    expect(await ack(rita, 'consult.start', { callId, entryId: site.entries['Anna Müller'] })).toMatchObject({ ok: false, error: 'conflict', reason: 'consult.in-progress' });
    const answeredConsult = next(rita, 'consult.state', (m: any) => m.state === 'answered');
    const joined = await ack(anna, 'call.answer', { callId });
    expect(joined).toMatchObject({ ok: true, state: { step: 'on-hold' } });
    // The colleague gets the receptionist's media, not the visitor's.
    expect(joined.producers.map((p: { producerId: string }) => p.producerId)).toEqual([fromRita]);
    expect(await answeredConsult).toEqual({ callId, state: 'answered', by: site.users.rita!.id, colleague: site.users.anna!.id });
    const fromAnna = await produce(anna, 'anna', callId, 3333);
    await next(rita, 'media.producer', (m: any) => m.producerId === fromAnna);
    // Nothing crosses the hold: the visitor cannot consume the colleague, nor the colleague the visitor.
    expect(await ack(terminal, 'media.consume', { callId, transportId: 'x', producerId: fromAnna, rtpCapabilities: {} })).toMatchObject({ ok: false, error: 'not-found' });
    expect(await ack(anna, 'media.consume', { callId, transportId: 'x', producerId: fromTerminal, rtpCapabilities: {} })).toMatchObject({ ok: false, error: 'not-found' });
    // Only the consulting desk completes.
    expect(await ack(anna, 'consult.complete', { callId })).toMatchObject({ ok: false, error: 'conflict', reason: 'consult.none' });
    const toVisitor = next(terminal, 'media.producer', (m: any) => m.producerId === fromAnna);
    const toAnna = next(anna, 'media.producer', (m: any) => m.producerId === fromTerminal);
    const completed = next(anna, 'consult.state', (m: any) => m.state === 'completed');
    expect(await ack(rita, 'consult.complete', { callId })).toEqual({ ok: true });
    await Promise.all([toVisitor, toAnna, completed]);
    const call = calls().get(callId);
    expect(call.answeredBy).toBe(site.users.anna!.id);
    expect(call.desks).toEqual([site.users.anna!.id]);
    expect(call.step).toEqual({ step: 'answered', by: site.users.anna!.id });
    expect(calls().isBusy(site.users.rita!.id)).toBe(false);
    // Rita's media left with her: the visitor may consume the colleague's only.
    expect(calls().producersFor(callId, site.terminal.id).map((p) => p.producerId)).toEqual([fromAnna]);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(anna, 'call.hangup', { callId })).toEqual({ ok: true });
    expect(await ended).toMatchObject({ reason: 'hangup-desk', outcome: 'answered' });
    expect(routers()).toBe(0);
    expect(seen.get(terminal)).toEqual([
      'call.state ringing', 'call.state answered', 'media.producer rita', 'call.state on-hold', 'call.state answered', 'media.producer anna', 'call.state ended',
    ]);
    expect(seen.get(rita)).toEqual([
      'call.ring', 'call.state answered', 'media.producer terminal', 'call.state on-hold', 'consult.state ringing', 'consult.state answered', 'media.producer anna', 'consult.state completed',
    ]);
    expect(seen.get(anna)).toEqual(['call.ring', 'consult.state answered', 'call.state answered', 'media.producer terminal', 'consult.state completed', 'call.state ended']);
    expect(seen.get(rolf)).toEqual(['call.ring', 'call.stop-ring answered-elsewhere']);
    expect(await audit(callId)).toEqual(['call.consult', 'call.consult.answer', 'call.consult.complete']);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });

  it('cancelled: the colleague leaves, the visitor hears the receptionist again', async () => {
    const { rita, rolf, anna, terminal, callId, heard, seenByRita } = await consulting();
    // Someone outside the call may not consult or cancel.
    expect(await ack(rolf, 'consult.cancel', { callId })).toMatchObject({ ok: false, error: 'forbidden' });
    expect(await ack(anna, 'call.answer', { callId })).toMatchObject({ ok: true });
    const back = next(terminal, 'call.state', (m: any) => m.step === 'answered');
    const cancelled = next(anna, 'consult.state', (m: any) => m.state === 'cancelled');
    expect(await ack(rita, 'consult.cancel', { callId })).toEqual({ ok: true });
    await Promise.all([back, cancelled]);
    const call = calls().get(callId);
    expect(call.desks).toEqual([site.users.rita!.id]);
    expect(call.answeredBy).toBe(site.users.rita!.id);
    expect(calls().isBusy(site.users.anna!.id)).toBe(false);
    expect(paused(callId, site.terminal.id, heard)).toBe(false);
    expect(paused(callId, site.users.rita!.id, seenByRita)).toBe(false);
    // Nothing left to complete or cancel.
    expect(await ack(rita, 'consult.complete', { callId })).toMatchObject({ ok: false, error: 'conflict', reason: 'consult.none' });
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(rita, 'call.hangup', { callId })).toEqual({ ok: true });
    await ended;
    expect(routers()).toBe(0);
    expect(seen.get(terminal)).toEqual(['call.state ringing', 'call.state answered', 'media.producer rita', 'call.state on-hold', 'call.state answered', 'call.state ended']);
    expect(seen.get(rita)).toEqual([
      'call.ring', 'call.state answered', 'media.producer terminal', 'call.state on-hold', 'consult.state ringing', 'consult.state answered',
      'call.state answered', 'consult.state cancelled cancelled', 'call.state ended',
    ]);
    expect(seen.get(anna)).toEqual(['call.ring', 'consult.state answered', 'consult.state cancelled cancelled']);
    expect(await audit(callId)).toEqual(['call.consult', 'call.consult.answer', 'call.consult.cancel']);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });

  it('a colleague who declines, then one who does not answer within the entry\'s leg timeout: back to the visitor each time', async () => {
    const { rita, rolf, anna, terminal, callId, heard } = await consulting();
    const declined = next(rita, 'consult.state', (m: any) => m.state === 'declined');
    expect(await ack(anna, 'call.decline', { callId })).toEqual({ ok: true });
    expect(await declined).toMatchObject({ reason: 'declined' });
    expect(calls().get(callId).step).toEqual({ step: 'answered', by: site.users.rita!.id });
    expect(paused(callId, site.terminal.id, heard)).toBe(false);
    // The second consult rings anna for her entry's leg timeout (5 s) and nobody answers.
    const ring = next(anna, 'call.ring');
    expect(await ack(rita, 'consult.start', { callId, entryId: site.entries['Anna Müller'] })).toEqual({ ok: true });
    await ring;
    const unanswered = next(rita, 'consult.state', (m: any) => m.state === 'no-answer', 20_000);
    expect(await unanswered).toMatchObject({ reason: 'timeout' });
    expect(calls().get(callId).step).toEqual({ step: 'answered', by: site.users.rita!.id });
    expect(paused(callId, site.terminal.id, heard)).toBe(false);
    const ended = [terminal, rita].map((s) => next(s, 'call.state', (m: any) => m.step === 'ended'));
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    await Promise.all(ended);
    expect(routers()).toBe(0);
    expect(seen.get(terminal)).toEqual([
      'call.state ringing', 'call.state answered', 'media.producer rita',
      'call.state on-hold', 'call.state answered', 'call.state on-hold', 'call.state answered', 'call.state ended',
    ]);
    expect(seen.get(rita)).toEqual([
      'call.ring', 'call.state answered', 'media.producer terminal',
      'call.state on-hold', 'consult.state ringing', 'call.state answered', 'consult.state declined declined',
      'call.state on-hold', 'consult.state ringing', 'call.state answered', 'consult.state no-answer timeout', 'call.state ended',
    ]);
    expect(seen.get(anna)).toEqual(['call.ring', 'call.stop-ring declined', 'call.ring', 'call.stop-ring timeout']);
    expect(await audit(callId)).toEqual(['call.consult', 'call.consult', 'call.consult.unanswered', 'call.consult.unanswered']);
    for (const s of [rita, rolf, anna, terminal]) s.close();
  });

  it('a desk whose session has ended can neither complete nor cancel its consult', async () => {
    const sessions = () => gw.gateway.services.store.db.selectFrom('sessions').select(['id_hash', 'expires_at']).where('user_id', '=', site.users.rita!.id).execute();
    const before = await sessions();
    expect(before).toHaveLength(1);
    for (const step of ['consult.complete', 'consult.cancel']) {
      const { rita, rolf, anna, terminal, callId } = await consulting();
      expect(await ack(anna, 'call.answer', { callId })).toMatchObject({ ok: true });
      // Rita's session expires while her desk is connected (no logout event that would disconnect it).
      await gw.gateway.services.store.db.updateTable('sessions').set({ expires_at: 0 }).where('user_id', '=', site.users.rita!.id).execute();
      const gone = new Promise((resolve) => rita.once('disconnect', resolve));
      expect(await ack(rita, step, { callId }), step).toMatchObject({ ok: false, error: 'unauthenticated' });
      expect(await gone).toBe('io server disconnect');
      // The visitor stays on hold with the consult going on: nothing was handed over or taken back.
      const call = calls().get(callId);
      expect(call.step, step).toEqual({ step: 'on-hold', by: site.users.rita!.id });
      expect(call.consult?.colleague, step).toBe(site.users.anna!.id);
      expect(await audit(callId), step).toEqual(['call.consult', 'call.consult.answer']);
      const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
      expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
      await ended;
      for (const s of [rolf, anna, terminal]) s.close();
      for (const { id_hash, expires_at } of before) await gw.gateway.services.store.db.updateTable('sessions').set({ expires_at }).where('id_hash', '=', id_hash).execute();
    }
    expect(routers()).toBe(0);
  });
});
