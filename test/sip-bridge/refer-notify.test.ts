// Which REFER a NOTIFY reports on (review s23 #11, RFC 3515 §2.4.6): sip.js hands
// every NOTIFY of a dialog to the latest REFER's onNotify, so referSession reads
// the Event header's id (the REFER's CSeq) and Subscription-State. The session
// here does what sip.js Session.refer does (onNotify replaced per REFER, the
// request's CSeq the dialog's next one); the wire is covered by refer-out.test.ts.
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { referSession, referEventId } from '../../src/sip-bridge/refer-out.ts';
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
  return { session, notify };
}

const opts = (clock: ManualClock) => ({ timeoutMs: 60_000, clock, logger: pino({ level: 'silent' }) });

describe('referSession: a NOTIFY settles only its own REFER', () => {
  it('reads the Event id', () => {
    expect(referEventId('refer;id=7')).toBe(7);
    expect(referEventId('refer; id="12"')).toBe(12);
    expect(referEventId('refer')).toBeUndefined();
    expect(referEventId(undefined)).toBeUndefined();
  });

  it("the late final NOTIFY of a REFER that timed out does not settle the next one; that one's own does", async () => {
    const clock = new ManualClock();
    const { session, notify } = dialogSession();
    const first = referSession(session as never, '7001', opts(clock));
    await Promise.resolve();
    notify('refer;id=2', 'SIP/2.0 180 Ringing');
    await clock.advance(60_000);
    expect(await first).toEqual({ transferred: false, status: 408, why: 'timeout' });
    const second = referSession(session as never, '7002', opts(clock));
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
    const { session, notify } = dialogSession();
    const outcome = referSession(session as never, '7001', opts(clock));
    await Promise.resolve();
    await clock.advance(50_000);
    notify(undefined, 'SIP/2.0 180 Ringing');
    await clock.advance(50_000);
    notify(undefined, 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    expect(await outcome).toEqual({ transferred: true });
  });

  it('Subscription-State terminated without a final status: failed', async () => {
    const clock = new ManualClock();
    const { session, notify } = dialogSession();
    const outcome = referSession(session as never, '7001', opts(clock));
    await Promise.resolve();
    notify('refer;id=2', 'SIP/2.0 100 Trying', 'terminated;reason=timeout');
    expect(await outcome).toEqual({ transferred: false, status: 500, why: 'failed' });
  });

  it('its log lines carry the extension under a key the pseudonymiser covers (review s23 #12)', async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => { lines.push(line); } };
    const logger = createLogger({ level: 'info', pseudonymise: pseudonymiser('refer-notify-test-key-0123456789'), destination });
    const clock = new ManualClock();
    const { session, notify } = dialogSession();
    const outcome = referSession(session as never, '7001', { timeoutMs: 60_000, clock, logger });
    await Promise.resolve();
    notify('refer;id=2', 'SIP/2.0 100 Trying');
    notify('refer;id=2', 'SIP/2.0 200 OK', 'terminated;reason=noresource');
    expect(await outcome).toEqual({ transferred: true });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.join('\n')).not.toContain('7001');
  });
});
