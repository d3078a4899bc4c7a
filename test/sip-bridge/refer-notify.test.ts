// Which REFER a NOTIFY reports on (review s23 #11, RFC 3515 §2.4.6): sip.js hands
// every NOTIFY of a dialog to the latest REFER's onNotify, so referSession reads
// the Event header's id (the REFER's CSeq) and Subscription-State. The session
// here does what sip.js Session.refer does (onNotify replaced per REFER, the
// request's CSeq the dialog's next one); the wire is covered by refer-out.test.ts.
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { referSession, referEventId, referDialog, SipReferrer, type ReferDialog } from '../../src/sip-bridge/refer-out.ts';
import { PhoneTransfers, type PhoneReferOutcome } from '../../src/calls/phone-transfer.ts';
import { Call } from '../../src/calls/call.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { createLogger, pseudonymiser } from '../../src/log/index.ts';

type Notify = (n: unknown) => void;

/** A dialog as referSession uses it: REFERs numbered by CSeq, NOTIFYs to the latest REFER's handler. */
function dialogSession() {
  const stateChange = new EventEmitter();
  const session = {
    state: 'Established',
    dialog: { callId: 'call-1', localSequenceNumber: 1 },
    stateChange: { addListener: (f: never) => stateChange.on('s', f), removeListener: (f: never) => stateChange.off('s', f) },
    userAgent: { configuration: { uri: { clone: () => ({ user: '', toString() { return `sip:${this.user}@pbx.example.com`; } }) } } },
    onNotify: undefined as Notify | undefined,
    targets: [] as string[],
    async refer(target: { toString(): string }, options: { onNotify: Notify }) {
      const cseq = ++session.dialog.localSequenceNumber;
      session.targets.push(String(target));
      session.onNotify = options.onNotify;
      return { message: { cseq } };
    },
  };
  /** The PBX's NOTIFY: `event` is the Event header (undefined: none). */
  const notify = (event: string | undefined, frag: string, state = 'active;expires=60') => {
    let accepted = 0;
    session.onNotify!({
      accept: async () => { accepted += 1; },
      request: { body: `${frag}\r\n`, getHeader: (h: string) => ({ event, 'subscription-state': state } as Record<string, string | undefined>)[h.toLowerCase()] },
    });
    return accepted;
  };
  return { session, notify, dialog: referDialog() };
}

const opts = (clock: ManualClock, dialog: ReferDialog) => ({ timeoutMs: 60_000, clock, logger: pino({ level: 'silent' }), dialog });

describe('referSession: a NOTIFY settles only its own REFER', () => {
  it('reads the Event id', () => {
    expect(referEventId('refer;id=7')).toBe(7);
    expect(referEventId('refer; id="12"')).toBe(12);
    expect(referEventId('refer')).toBeUndefined();
    expect(referEventId(undefined)).toBeUndefined();
  });

  it("the late final NOTIFY of a REFER that timed out does not settle the next one; that one's own does", async () => {
    const clock = new ManualClock();
    const { session, notify, dialog } = dialogSession();
    const first = referSession(session as never, '7001', opts(clock, dialog));
    await Promise.resolve();
    notify('refer;id=2', 'SIP/2.0 180 Ringing');
    await clock.advance(60_000);
    expect(await first).toMatchObject({ transferred: false, status: 408, why: 'timeout' });
    const second = referSession(session as never, '7002', opts(clock, dialog));
    await Promise.resolve();
    expect(session.targets).toEqual(['sip:7001@pbx.example.com', 'sip:7002@pbx.example.com']);
    // 7001 answers after all: the PBX ends subscription 1 (REFER CSeq 2). REFER 2 (CSeq 3) is not settled by it.
    notify('refer;id=2', 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    // Without an id, the second REFER's NOTIFY cannot be told from the first's: not taken either.
    notify(undefined, 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    notify('refer;id=3', 'SIP/2.0 486 Busy Here', 'terminated;reason=noresource');
    expect(await second).toEqual({ transferred: false, status: 486, why: 'failed' });
  });

  it('a 1xx NOTIFY gives the PBX the full time again; the only REFER of a dialog takes NOTIFYs without an id', async () => {
    const clock = new ManualClock();
    const { session, notify, dialog } = dialogSession();
    const outcome = referSession(session as never, '7001', opts(clock, dialog));
    await Promise.resolve();
    await clock.advance(50_000);
    notify(undefined, 'SIP/2.0 180 Ringing');
    await clock.advance(50_000);
    notify(undefined, 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    expect(await outcome).toEqual({ transferred: true });
  });

  it('Subscription-State terminated without a final status: failed', async () => {
    const clock = new ManualClock();
    const { session, notify, dialog } = dialogSession();
    const outcome = referSession(session as never, '7001', opts(clock, dialog));
    await Promise.resolve();
    notify('refer;id=2', 'SIP/2.0 100 Trying', 'terminated;reason=timeout');
    expect(await outcome).toEqual({ transferred: false, status: 500, why: 'failed' });
  });

  it('its log lines carry the extension under a key the pseudonymiser covers (review s23 #12)', async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => { lines.push(line); } };
    const logger = createLogger({ level: 'info', pseudonymise: pseudonymiser('refer-notify-test-key-0123456789'), destination });
    const clock = new ManualClock();
    const { session, notify, dialog } = dialogSession();
    const outcome = referSession(session as never, '7001', { timeoutMs: 60_000, clock, logger, dialog });
    await Promise.resolve();
    notify('refer;id=2', 'SIP/2.0 100 Trying');
    notify('refer;id=2', 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    expect(await outcome).toEqual({ transferred: true });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.join('\n')).not.toContain('7001');
  });

  it("a timed-out REFER's late final 2xx NOTIFY (review s23 #11 residual): its outcome's `late` says the PBX moved the caller; a later REFER stays pending", async () => {
    const clock = new ManualClock();
    const { session, notify } = dialogSession();
    // The count of REFERs is the referrer's (per dialog), not the module's: one SipReferrer, two REFERs in one dialog.
    const referrer = new SipReferrer({ leg: () => ({ accountId: 'pbx', session: session as never }), timeoutMs: 60_000, clock, logger: pino({ level: 'silent' }) });
    const route = { type: 'sip' as const, accountId: 'pbx', user: '7001' };
    const first = referrer.refer('caller', route);
    await Promise.resolve();
    notify('refer;id=2', 'SIP/2.0 180 Ringing');
    await clock.advance(60_000);
    const timedOut = await first;
    expect(timedOut).toMatchObject({ transferred: false, status: 408, why: 'timeout' });
    const late = (timedOut as { late?: Promise<boolean> }).late;
    expect(late).toBeInstanceOf(Promise);
    const second = referrer.refer('caller', { ...route, user: '7002' });
    await Promise.resolve();
    let secondSettled = false;
    void second.then(() => { secondSettled = true; });
    // A NOTIFY without an id is not the first's once two were sent; the first's own 200 (to the latest handler, as sip.js does): late.
    notify(undefined, 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    notify('refer;id=2', 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    expect(await late).toBe(true);
    await Promise.resolve();
    expect(secondSettled).toBe(false);
    notify('refer;id=3', 'SIP/2.0 486 Busy Here', 'terminated;reason=noresource');
    expect(await second).toEqual({ transferred: false, status: 486, why: 'failed' });
  });

  it('a late final failure or the dialog ending: `late` false', async () => {
    const clock = new ManualClock();
    const { session, notify, dialog } = dialogSession();
    const outcome = referSession(session as never, '7001', opts(clock, dialog));
    await Promise.resolve();
    await clock.advance(60_000);
    const { late } = (await outcome) as { late?: Promise<boolean> };
    notify('refer;id=2', 'SIP/2.0 180 Ringing');
    notify('refer;id=2', 'SIP/2.0 486 Busy Here', 'terminated;reason=noresource');
    expect(await late).toBe(false);
    expect(dialog.late.size).toBe(0);
  });

  it('PhoneTransfers: the late transfer ends the call transferred, audited late; a late failure leaves it', async () => {
    const call = () => new Call({ id: `c${Math.random()}`, siteId: 'hq', terminalId: 'caller', entryId: 'e1', startedAt: 0, routes: [], legTimeoutS: 20 });
    const ended: string[] = [];
    const audited: Array<Record<string, unknown>> = [];
    let late!: (moved: boolean) => void;
    const port = {
      canRefer: () => true,
      refer: async (): Promise<PhoneReferOutcome> => ({ transferred: false, status: 408, why: 'timeout', late: new Promise<boolean>((r) => { late = r; }) }),
    };
    const transfers = new PhoneTransfers({ port, audit: async (_c, _u, details) => { audited.push(details); }, end: (c) => { ended.push(c.id); } });
    const route = { type: 'sip' as const, accountId: 'pbx', user: '7001' };
    const moved = call();
    await expect(transfers.refer(moved, 'anna', 'entry-7001', route)).rejects.toThrow(/did not transfer/);
    expect(ended).toEqual([]);
    late(true);
    await new Promise((r) => setImmediate(r));
    expect(ended).toEqual([moved.id]);
    expect(audited).toEqual([{ entryId: 'entry-7001', via: 'refer', late: true }]);
    const stays = call();
    await expect(transfers.refer(stays, 'anna', 'entry-7001', route)).rejects.toThrow(/did not transfer/);
    late(false);
    await new Promise((r) => setImmediate(r));
    expect(ended).toEqual([moved.id]);
  });
});
