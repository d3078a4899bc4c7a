// The Timer J response cache: kept 64·T1, and bounded (the oldest goes first); a client
// transaction answered only after a retransmission (the keep-alive's restart signal).
import { describe, it, expect } from 'vitest';
import { ServerResponseCache, ClientRetransmissions } from '../../src/sip-bridge/transactions.ts';
import { ManualClock } from '../support/manual-clock.ts';

describe('ServerResponseCache', () => {
  it('keeps a response for 64·T1 and at most maxCachedResponses, dropping the oldest first', async () => {
    const clock = new ManualClock();
    const cache = new ServerResponseCache(clock, { t1Ms: 500, t2Ms: 4000, maxCachedResponses: 2 });
    cache.remember('a', 'response a');
    cache.remember('b', 'response b');
    cache.remember('a', 'response a2'); // refreshed: now the newest
    cache.remember('c', 'response c');
    expect(cache.size).toBe(2);
    expect(clock.pending, 'the dropped entry\'s timer is gone too').toBe(2);
    expect(cache.lookup('b')).toBeUndefined();
    expect(cache.lookup('a')).toBe('response a2');
    expect(cache.lookup('c')).toBe('response c');
    expect(cache.absorbed).toBe(2);
    await clock.advance(64 * 500);
    expect(cache.size).toBe(0);
    expect(cache.lookup('c')).toBeUndefined();
    cache.close();
    expect(clock.pending).toBe(0);
  });
});

describe('ClientRetransmissions', () => {
  it('tells, once, that a final answer came only after the request was sent again (a provisional does not count)', async () => {
    const clock = new ManualClock();
    const tx = new ClientRetransmissions(clock, { t1Ms: 500, t2Ms: 4000 });
    const hooks = { resend: () => {}, timedOut: () => {} };
    tx.start('prompt', false, hooks);
    tx.response('prompt', 200);
    tx.start('late', false, hooks);
    await clock.advance(500);
    expect(tx.retransmitted).toBe(1);
    tx.response('late', 100);
    tx.response('late', 200);
    expect(tx.answeredAfterResend('prompt')).toBe(false);
    expect(tx.answeredAfterResend('late')).toBe(true);
    expect(tx.answeredAfterResend('late'), 'read once').toBe(false);
    expect(clock.pending).toBe(0);
    tx.close();
  });
});
