// Blind transfer in the call session with a manual clock: the target rings with
// its own entry's leg timeout; unanswered, the call comes back to the desk that
// transferred it; the step stays `transferring` until someone answers.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../support/manual-clock.ts';
import { transferFixtureEach } from '../support/call-service.ts';
import type { CallService } from '../../src/calls/index.ts';

const terminal = { id: 'terminal-1', siteId: 'hq' };

describe('blind transfer', () => {
  let clock: ManualClock;
  let calls: CallService;
  let entries: Record<string, string>;
  const log: string[] = [];

  transferFixtureEach((fixture) => ({ clock, calls, entries } = fixture));
  beforeEach(() => {
    log.length = 0;
    calls.on('ring', (u) => log.push(`ring ${u}`));
    calls.on('stopring', (u, _c, why) => log.push(`stop ${u} ${why}`));
    calls.on('missed', (u) => log.push(`missed ${u}`));
    calls.on('step', (_c, step) => log.push(`step ${step.step}`));
  });

  it('the target rings for its own entry\'s leg timeout, then the call returns to the transferring desk', async () => {
    const call = await calls.start(terminal, entries['Empfang']!);
    await calls.answer(call.id, 'rita');
    log.length = 0;
    await calls.transfer(call.id, 'rita', entries['Anna Host']!);
    expect(call.hasParticipant('rita')).toBe(false);
    expect(calls.isBusy('rita')).toBe(false);
    expect(log).toEqual(['step transferring', 'ring anna']);
    await clock.advance(6_999);
    expect(log).toEqual(['step transferring', 'ring anna']);
    await clock.advance(1);
    expect(log).toEqual(['step transferring', 'ring anna', 'stop anna timeout', 'missed anna', 'ring rita']);
    expect(call.step).toEqual({ step: 'transferring', by: 'rita' });
    await calls.answer(call.id, 'rita');
    expect(call.step).toEqual({ step: 'answered', by: 'rita' });
    await calls.hangup(call.id, 'rita');
    expect(call.step).toMatchObject({ step: 'ended', outcome: 'answered' });
    expect(clock.pending).toBe(0);
  });

  it('unanswered by the transferring desk too, the reception rings; the target entry\'s cap ends it', async () => {
    const call = await calls.start(terminal, entries['Empfang']!);
    await calls.answer(call.id, 'rita');
    await calls.transfer(call.id, 'rita', entries['Anna Host']!);
    log.length = 0;
    await clock.advance(7_000); // anna's leg
    await clock.advance(7_000); // rita's return leg (the target entry's leg timeout)
    expect(log).toEqual(['stop anna timeout', 'missed anna', 'ring rita', 'stop rita timeout', 'ring rita', 'ring rolf']);
    await clock.advance(60_000 - 14_000); // the target entry's cap, counted from the transfer
    expect(call.step).toMatchObject({ step: 'ended', reason: 'no-answer', outcome: 'answered' });
  });

  it('a colleague rung into the call who does not answer within the entry\'s leg timeout changes nothing', async () => {
    const call = await calls.start(terminal, entries['Empfang']!);
    await calls.answer(call.id, 'rita');
    log.length = 0;
    await calls.addColleague(call.id, 'rita', entries['Anna Host']!);
    expect(log).toEqual(['ring anna']);
    await expect(calls.addColleague(call.id, 'rita', entries['Anna Host']!)).rejects.toMatchObject({ code: 'conflict' });
    await clock.advance(7_000);
    expect(log).toEqual(['ring anna', 'stop anna timeout']);
    expect(call.step).toEqual({ step: 'answered', by: 'rita' });
    expect(call.desks).toEqual(['rita']);
    // Rung again, she answers and joins; rita hangs up and leaves, anna stays with the visitor.
    await calls.addColleague(call.id, 'rita', entries['Anna Host']!);
    await calls.answer(call.id, 'anna');
    expect(call.desks).toEqual(['rita', 'anna']);
    await calls.hangup(call.id, 'rita');
    expect(call.ended).toBe(false);
    expect(call.answeredBy).toBe('anna');
    expect(calls.isBusy('rita')).toBe(false);
    await calls.hangup(call.id, 'anna');
    expect(call.step).toMatchObject({ step: 'ended', reason: 'hangup-desk', outcome: 'answered' });
    expect(calls.isBusy('anna')).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('refuses a desk without call.transfer, a desk not in the call, and an entry of another site', async () => {
    const call = await calls.start(terminal, entries['Empfang']!);
    await calls.answer(call.id, 'rolf');
    await expect(calls.transfer(call.id, 'rolf', entries['Anna Host']!)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(calls.transfer(call.id, 'rita', entries['Anna Host']!)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(calls.transfer(call.id, 'rolf', 'no-such-entry')).rejects.toMatchObject({ code: 'not-found' });
    expect(call.step).toEqual({ step: 'answered', by: 'rolf' });
    expect(calls.isBusy('rolf')).toBe(true);
  });
});
