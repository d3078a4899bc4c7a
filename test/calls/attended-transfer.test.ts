// Attended transfer in the call session with a manual clock: the consult rings
// exactly its entry's leg timeout; the colleague hanging up returns to the
// visitor, the consulting desk hanging up completes once the colleague answered
// and ends the call while the colleague still rings; refusals are named.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../support/services.ts';
import type { ManualClock } from '../support/manual-clock.ts';
import { transferFixtureEach } from '../support/call-service.ts';
import type { CallService } from '../../src/calls/index.ts';

const terminal = { id: 'terminal-1', siteId: 'hq' };

describe('attended transfer', () => {
  let s: Services;
  let clock: ManualClock;
  let calls: CallService;
  let entries: Record<string, string>;
  const log: string[] = [];

  transferFixtureEach((fixture) => ({ s, clock, calls, entries } = fixture));
  beforeEach(() => {
    log.length = 0;
    calls.on('ring', (u) => log.push(`ring ${u}`));
    calls.on('stopring', (u, _c, why) => log.push(`stop ${u} ${why}`));
    calls.on('step', (_c, step) => log.push(`step ${step.step}`));
    calls.on('consult', (_c, u) => log.push(`consult ${u.state}${u.reason ? ` ${u.reason}` : ''}`));
  });

  const consulting = async () => {
    const call = await calls.start(terminal, entries['Empfang']!);
    await calls.answer(call.id, 'rita');
    log.length = 0;
    await calls.consult(call.id, 'rita', entries['Anna Host']!);
    expect(call.held).toEqual([terminal.id]);
    return call;
  };
  const consultAudit = async (callId: string) => (await s.audit.list({ correlationId: callId })).filter((e) => e.action.startsWith('call.consult')).map((e) => `${e.action} ${e.actor_id ?? 'system'}`).reverse();

  it('rings exactly the entry\'s leg timeout, then the visitor is back with the desk', async () => {
    const call = await consulting();
    expect(log).toEqual(['step on-hold', 'ring anna', 'consult ringing']);
    await clock.advance(6_999);
    expect(call.step).toEqual({ step: 'on-hold', by: 'rita' });
    await clock.advance(1);
    expect(log).toEqual(['step on-hold', 'ring anna', 'consult ringing', 'stop anna timeout', 'step answered', 'consult no-answer timeout']);
    expect(call.step).toEqual({ step: 'answered', by: 'rita' });
    expect(call.held).toEqual([]);
    expect(call.consult).toBeNull();
    expect(await consultAudit(call.id)).toEqual(['call.consult rita', 'call.consult.unanswered system']);
  });

  it('the colleague hanging up returns to the visitor; the consulting desk hanging up after the answer completes', async () => {
    const call = await consulting();
    await calls.answer(call.id, 'anna');
    expect(call.desks).toEqual(['rita', 'anna']);
    await calls.hangup(call.id, 'anna');
    expect(call.desks).toEqual(['rita']);
    expect(call.step).toEqual({ step: 'answered', by: 'rita' });
    expect(call.held).toEqual([]);
    expect(calls.isBusy('anna')).toBe(false);
    log.length = 0;
    await calls.consult(call.id, 'rita', entries['Anna Host']!);
    await calls.answer(call.id, 'anna');
    await calls.hangup(call.id, 'rita');
    expect(call.ended).toBe(false);
    expect(call.answeredBy).toBe('anna');
    expect(call.desks).toEqual(['anna']);
    expect(call.step).toEqual({ step: 'answered', by: 'anna' });
    expect(calls.isBusy('rita')).toBe(false);
    expect(log).toEqual(['step on-hold', 'ring anna', 'consult ringing', 'consult answered', 'step answered', 'consult completed']);
    expect(await consultAudit(call.id)).toEqual([
      'call.consult rita', 'call.consult.answer anna', 'call.consult.cancel anna', 'call.consult rita', 'call.consult.answer anna', 'call.consult.complete rita',
    ]);
    await calls.hangup(call.id, 'anna');
    expect(call.step).toMatchObject({ step: 'ended', reason: 'hangup-desk', outcome: 'answered' });
    expect(clock.pending).toBe(0);
  });

  it('the consulting desk hanging up while the colleague rings ends the call; the colleague stops ringing', async () => {
    const call = await consulting();
    await calls.hangup(call.id, 'rita');
    expect(call.step).toMatchObject({ step: 'ended', reason: 'hangup-desk', outcome: 'answered' });
    expect(log).toEqual(['step on-hold', 'ring anna', 'consult ringing', 'step ended', 'stop anna hangup-desk']);
    expect(calls.isBusy('anna')).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('refuses a desk without call.transfer or not in the call, a second consult, and completing before the answer', async () => {
    const call = await calls.start(terminal, entries['Empfang']!);
    await calls.answer(call.id, 'rolf');
    await expect(calls.consult(call.id, 'rolf', entries['Anna Host']!)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(calls.consult(call.id, 'rita', entries['Anna Host']!)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(calls.cancelConsult(call.id, 'rolf')).rejects.toMatchObject({ code: 'conflict', why: { reason: 'consult.none' } });
    await calls.hangup(call.id, 'rolf');
    const second = await consulting();
    await expect(calls.consult(second.id, 'rita', entries['Anna Host']!)).rejects.toMatchObject({ code: 'conflict', why: { reason: 'consult.in-progress' } });
    await expect(calls.completeConsult(second.id, 'rita')).rejects.toMatchObject({ code: 'conflict', why: { reason: 'consult.not-answered' } });
    await expect(calls.addColleague(second.id, 'rita', entries['Anna Host']!)).rejects.toMatchObject({ code: 'conflict', why: { reason: 'consult.in-progress' } });
    await expect(calls.transfer(second.id, 'rita', entries['Anna Host']!)).rejects.toMatchObject({ code: 'conflict' });
    await calls.cancelConsult(second.id, 'rita');
    expect(log.slice(-3)).toEqual(['stop anna cancelled', 'step answered', 'consult cancelled cancelled']);
    expect(second.step).toEqual({ step: 'answered', by: 'rita' });
    expect(clock.pending).toBe(0);
  });
});
