// checkInbound (src/sip-bridge/account-inbound.ts) checks what a change adds or
// re-targets only: a number the stored account already lists with the same target
// is not looked up again, so an account whose entry or terminal went away meanwhile
// (a row older than the phone book's in-use check, a terminal revoked) can still be
// disabled or changed elsewhere (review s25 #5).
import { describe, expect, it } from 'vitest';
import { checkInbound, type InboundTargets } from '../../src/sip-bridge/account-inbound.ts';
import type { StoredInbound } from '../../src/sip-bridge/account-store.ts';

const part = (numbers: Array<[string, string]>, terminals: Array<[string, string]> = []): StoredInbound => ({
  username: 'pbx', realm: '', sources: ['127.0.0.1'], trustRegistrar: false,
  numbers: numbers.map(([number, entryId]) => ({ number, entryId })),
  terminals: terminals.map(([number, terminalId]) => ({ number, terminalId, callers: [] })),
});

describe('checkInbound', () => {
  // Nothing exists: every lookup made is recorded.
  const looked: string[] = [];
  const nothing: InboundTargets = {
    entry: (id) => { looked.push(id); return false; }, entryWithin: async (id) => { looked.push(id); return false; }, terminal: async (id) => { looked.push(id); return false; },
  };

  it('does not look up a number the stored part already lists with the same target', async () => {
    const before = part([['4711', 'gone-entry']], [['4790', 'revoked-kiosk']]);
    looked.length = 0;
    await checkInbound(before, before, nothing, []);
    await checkInbound(part([['4711', 'gone-entry']]), before, nothing, []);
    expect(looked).toEqual([]);
  });

  it('refuses a number it adds or re-targets to an entry or terminal that does not exist', async () => {
    const before = part([['4711', 'gone-entry']], [['4790', 'revoked-kiosk']]);
    await expect(checkInbound(part([['4711', 'gone-entry'], ['4712', 'other']], [['4790', 'revoked-kiosk']]), before, nothing, []))
      .rejects.toMatchObject({ why: { reason: 'sip-account.entry-unknown', params: { number: '4712', entry: 'other' } } });
    await expect(checkInbound(part([['4711', 'another-gone']]), before, nothing, []))
      .rejects.toMatchObject({ why: { reason: 'sip-account.entry-unknown', params: { number: '4711', entry: 'another-gone' } } });
    await expect(checkInbound(part([], [['4790', 'other-kiosk']]), before, nothing, []))
      .rejects.toMatchObject({ why: { reason: 'sip-account.terminal-unknown', params: { number: '4790', terminal: 'other-kiosk' } } });
    // A new account has nothing stored: every target is looked up.
    await expect(checkInbound(before, null, nothing, [])).rejects.toMatchObject({ why: { reason: 'sip-account.entry-unknown' } });
  });
});
