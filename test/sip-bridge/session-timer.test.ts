// RFC 4028 session timers on a manual clock: who refreshes when, the expiry when
// the far end refreshes, a failing refresh, the headers read and written.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../support/manual-clock.ts';
import { SessionTimer, expiryMsOf, farRefresh, readSessionExpires, refreshRefusal, type RefreshAnswer } from '../../src/sip-bridge/session-timer.ts';
import { grantOf, SipLegSession } from '../../src/sip-bridge/sip-leg-session.ts';
import { RequestPendingError, type Session } from 'sip.js';

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

  it('an interval below the floor (Min-SE, RFC 4028 §5) is taken as the floor (review s21 #31): Session-Expires 1 → first refresh at 45 s, expiry at 60 s', async () => {
    for (const weRefresh of [true, false]) {
      const clock = new ManualClock();
      const log: string[] = [];
      const start = clock.now();
      const timer = new SessionTimer({
        clock, seconds: 1, weRefresh, minSeconds: 90,
        refresh: async () => { log.push(`refresh@${(clock.now() - start) / 1000}`); return { status: 200 }; },
        expired: () => log.push(`expired@${(clock.now() - start) / 1000}`),
      });
      expect(timer.seconds).toBe(90);
      await clock.advance(44_000);
      // Before: a refresh every 500 ms (uac), or the end after 0.67 s (uas).
      expect(log).toEqual([]);
      await clock.advance(16_000);
      expect(log).toEqual([weRefresh ? 'refresh@45' : 'expired@60']);
      timer.close();
    }
  });

  /** A timer we refresh (interval 100 s: refreshes at 50 s) whose refreshes are answered `answers` in turn. */
  const refreshing = (answers: Array<RefreshAnswer | false>) => {
    const clock = new ManualClock();
    const log: string[] = [];
    const start = clock.now();
    const timer = new SessionTimer({
      clock, seconds: 100, weRefresh: true, minSeconds: 90, glareDelayMs: () => 3000,
      refresh: async (seconds) => { log.push(`refresh ${seconds}@${(clock.now() - start) / 1000}`); return answers.shift() ?? { status: 200 }; },
      expired: () => log.push(`expired@${(clock.now() - start) / 1000}`),
    });
    return { clock, log, timer };
  };

  it('a refresh answered 491 (glare) is sent again after the RFC 3261 §14.1 delay; the session stays (review s21 #32)', async () => {
    const { clock, log, timer } = refreshing([{ status: 491 }, { status: 200 }]);
    await clock.advance(60_000);
    expect(log).toEqual(['refresh 100@50', 'refresh 100@53']);
    expect(timer.refreshes).toBe(1);
    expect(timer.closed).toBe(false);
    timer.close();
  });

  it('a refresh answered 422 is sent again at once with the Min-SE it names (RFC 4028 §7.4)', async () => {
    const { clock, log, timer } = refreshing([{ status: 422, minSeconds: 300 }, { status: 200 }]);
    await clock.advance(50_000);
    expect(log).toEqual(['refresh 100@50', 'refresh 300@50']);
    expect(timer.seconds).toBe(300);
    // The next refresh at half the new interval.
    await clock.advance(150_000);
    expect(log.at(-1)).toBe('refresh 300@200');
    timer.close();
  });

  it('a second 422 before a refresh went through is not taken at once: a far end raising its Min-SE each time gets no back-to-back re-INVITEs (review s22 #3)', async () => {
    const answers = Array.from({ length: 1000 }, (_, i) => ({ status: 422, minSeconds: 101 + i }));
    const { clock, log, timer } = refreshing(answers);
    await clock.advance(50_000);
    // The first 422 is taken once; the second waits halfway to the expiry like other refusals.
    expect(log).toEqual(['refresh 100@50', 'refresh 101@50']);
    await clock.advance(25_000);
    expect(log).toEqual(['refresh 100@50', 'refresh 101@50', 'refresh 101@75']);
    timer.close();
  });

  it('a refresh answered 500/488 keeps the session and is tried again halfway to the expiry; it expires only when none succeeds in time', async () => {
    const kept = refreshing([{ status: 500 }, { status: 200 }]);
    await kept.clock.advance(80_000);
    expect(kept.log).toEqual(['refresh 100@50', 'refresh 100@75']);
    expect(kept.timer.closed).toBe(false);
    kept.timer.close();
    const lost = refreshing([{ status: 488 }, { status: 488 }, { status: 488 }, { status: 488 }, { status: 488 }, { status: 488 }, { status: 488 }]);
    await lost.clock.advance(100_000);
    expect(lost.log.at(-1)).toBe('expired@100');
    expect(lost.log.filter((l) => l.startsWith('refresh')).length).toBeGreaterThan(2);
    expect(lost.clock.pending).toBe(0);
  });

  it('a refresh answered 481 or 408 (or not at all) ends the session at once', async () => {
    for (const answer of [{ status: 481 }, { status: 408 }, false as const]) {
      const { clock, log, timer } = refreshing([answer]);
      await clock.advance(60_000);
      expect(log).toEqual(['refresh 100@50', 'expired@50']);
      expect(timer.closed).toBe(true);
    }
  });

  it('a far refresh asking less than the floor is refused 422 with Min-SE (RFC 4028 §8.1)', () => {
    expect(refreshRefusal(headers({ 'session-expires': '30;refresher=uac', supported: 'timer' }), 90)).toEqual({ statusCode: 422, reasonPhrase: 'Session Interval Too Small', extraHeaders: ['Min-SE: 90'] });
    expect(refreshRefusal(headers({ 'session-expires': '90' }), 90)).toBeUndefined();
    expect(refreshRefusal(headers({}), 90)).toBeUndefined();
  });

  it('an INVITE below the floor without Supported: timer is not refused 422 but granted the floor, refreshed by us (RFC 4028 §9; review s22 #25)', () => {
    // A proxy inserted Session-Expires: 30 for a UAC that knows no timers — it could not retry with Min-SE.
    expect(refreshRefusal(headers({ 'session-expires': '30' }), 90)).toBeUndefined();
    expect(grantOf(headers({ 'session-expires': '30' }), 90)).toEqual({ granted: { seconds: 90, refresher: 'uas' }, weRefresh: true, headers: ['Session-Expires: 90;refresher=uas'] });
    expect(grantOf(headers({ 'session-expires': '1800;refresher=uac' }), 90)).toEqual({ granted: { seconds: 1800, refresher: 'uas' }, weRefresh: true, headers: ['Session-Expires: 1800;refresher=uas'] });
    // A UAC that supports timers is told the floor and retries with it.
    expect(grantOf(headers({ 'session-expires': '30', supported: 'timer' }), 90)).toEqual({ refuse: { statusCode: 422, reasonPhrase: 'Session Interval Too Small', extraHeaders: ['Min-SE: 90'] } });
    expect(grantOf(headers({ 'session-expires': '120', supported: 'timer' }), 90)).toMatchObject({ granted: { seconds: 120, refresher: 'uac' }, weRefresh: false });
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
    // Below the floor from a UAC without timer support (a proxy put it in): granted the floor, Portier refreshing —
    // the 2xx says what the timer runs (review s23 #18: it said 10 s while the timer ran 90 s).
    expect(farRefresh(headers({ 'session-expires': '10;refresher=uac' }), 1800, 90)).toEqual({ seconds: 90, weRefresh: true, headers: ['Session-Expires: 90;refresher=uas'] });
    expect(farRefresh(headers({ 'session-expires': '10;refresher=uas' }), 1800, 90)).toEqual({ seconds: 90, weRefresh: true, headers: ['Session-Expires: 90;refresher=uas'] });
  });

  it("our refresh refused by sip.js because the far end's re-INVITE is still in progress counts as glare (491), any other failure as a failed refresh", async () => {
    for (const [thrown, expected] of [[new RequestPendingError('re-INVITE in progress'), { invites: 2, expired: false }], [new Error('gone'), { invites: 1, expired: true }]] as const) {
      const clock = new ManualClock();
      let invites = 0;
      const session = { state: 'Established', invite: async () => { invites += 1; if (invites === 1) throw thrown; return {}; } } as unknown as Session;
      let expired = false;
      const leg = new SipLegSession(session, { clock, minSeconds: 90, ownsCallId: true, expired: () => { expired = true; } });
      leg.start({ seconds: 100, refresher: 'uac' }, true);
      await clock.advance(50_000);
      // Glare: again after at most 4 s (RFC 3261 §14.1, the Call-ID's owner).
      await clock.advance(4_000);
      expect({ invites, expired }, String(thrown)).toEqual(expected);
      leg.timer?.close();
    }
  });
});
