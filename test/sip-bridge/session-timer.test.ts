// RFC 4028 session timers on a manual clock: who refreshes when, the expiry when
// the far end refreshes, a failing refresh, the headers read and written.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.ts';
import { SessionTimer, expiryMsOf, farRefresh, readSessionExpires } from '../../src/sip-bridge/session-timer.ts';

const headers = (h: Record<string, string>) => ({ getHeader: (name: string) => h[name.toLowerCase()] });

describe('SIP session timers (RFC 4028)', () => {
  it('as refresher: refreshes at half the interval, again after each 2xx; a failed refresh ends the session once', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    let answer = true;
    const timer = new SessionTimer({
      clock, seconds: 1800, weRefresh: true,
      refresh: async () => { log.push(`refresh@${(clock.now() - start) / 1000}`); return answer; },
      expired: () => log.push(`expired@${(clock.now() - start) / 1000}`),
    });
    const start = clock.now();
    await clock.advance(899_000);
    expect(log).toEqual([]);
    await clock.advance(1000);
    expect(log).toEqual(['refresh@900']);
    expect(timer.refreshes).toBe(1);
    answer = false;
    await clock.advance(900_000);
    expect(log).toEqual(['refresh@900', 'refresh@1800', 'expired@1800']);
    expect(timer.closed).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('when the far end refreshes: expires after the interval minus min(32 s, a third) without one; each refresh starts it again', async () => {
    const clock = new ManualClock();
    const expired: number[] = [];
    const start = clock.now();
    const timer = new SessionTimer({ clock, seconds: 90, weRefresh: false, refresh: async () => true, expired: () => expired.push(clock.now() - start) });
    expect(expiryMsOf(90)).toBe(60_000);
    expect(expiryMsOf(3)).toBe(2000);
    await clock.advance(59_000);
    timer.refreshed();
    await clock.advance(59_000);
    expect(expired).toEqual([]);
    await clock.advance(1000);
    expect(expired).toEqual([119_000]);
    timer.close();
    expect(clock.pending).toBe(0);
  });

  it('an interval the far end sets past the timer range of Node is armed within a day (review s21 #31): no refresh storm, no instant expiry', async () => {
    for (const weRefresh of [true, false]) {
      const clock = new ManualClock();
      // Node cuts a delay past 2^31-1 ms to 1 ms: every delay the timer asks for must stay within it.
      const delays: number[] = [];
      const set = clock.setTimeout;
      clock.setTimeout = (fn: () => void, ms: number) => { delays.push(ms); return set(fn, ms); };
      const log: string[] = [];
      const start = clock.now();
      const timer = new SessionTimer({
        clock, seconds: 5_000_000, weRefresh,
        refresh: async () => { log.push(`refresh@${(clock.now() - start) / 1000}`); return true; },
        expired: () => log.push(`expired@${(clock.now() - start) / 1000}`),
      });
      await clock.advance(3_600_000);
      expect(log).toEqual([]);
      await clock.advance(82_768_000);
      expect(log).toEqual([weRefresh ? 'refresh@43200' : 'expired@86368']);
      expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
      timer.close();
    }
  });

  it('reads Session-Expires (refresher optional, compact x:) and answers a refresh with what it asked', () => {
    expect(readSessionExpires('1800;refresher=uac')).toEqual({ seconds: 1800, refresher: 'uac' });
    expect(readSessionExpires(' 90 ; refresher = UAS')).toEqual({ seconds: 90, refresher: 'uas' });
    expect(readSessionExpires('600')).toEqual({ seconds: 600 });
    expect(readSessionExpires('abc')).toBeUndefined();
    expect(readSessionExpires('0')).toBeUndefined();
    expect(farRefresh(headers({ 'session-expires': '600;refresher=uac', supported: 'timer, replaces' }), 1800))
      .toEqual({ seconds: 600, weRefresh: false, headers: ['Session-Expires: 600;refresher=uac', 'Require: timer'] });
    expect(farRefresh(headers({ x: '300;refresher=uas' }), 1800)).toEqual({ seconds: 300, weRefresh: true, headers: ['Session-Expires: 300;refresher=uas'] });
    // A refresh without the header keeps the interval; its sender (uac of the refresh) keeps refreshing.
    expect(farRefresh(headers({}), 1800)).toEqual({ seconds: 1800, weRefresh: false, headers: ['Session-Expires: 1800;refresher=uac'] });
  });
});
