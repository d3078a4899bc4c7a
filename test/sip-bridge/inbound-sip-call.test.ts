// One inbound SIP call's signalling against a scripted sip.js Invitation and a
// scripted call of the calls component (a real RtpRelay on 127.0.0.1): what the
// PBX and the calls component are told when the media cannot be joined, and when
// the call ends while our 200 is still on its way.
import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { Invitation, SessionState } from 'sip.js';
import type { Call } from '../../src/calls/index.ts';
import { InboundCalls, type PhoneCallPort } from '../../src/sip-bridge/sip-inbound.ts';
import type { IncomingCall, SipAccount } from '../../src/sip-bridge/sip-account.ts';

const OFFER = ['v=0', 'o=pbx 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', ''].join('\r\n');

/** sip.js's Invitation as the bridge uses it; `accept()` resolves when the test says so. */
class ScriptedInvitation {
  state: SessionState = 'Initial' as SessionState;
  readonly body = OFFER;
  readonly sent: string[] = [];
  readonly #listeners: Array<(s: SessionState) => void> = [];
  #accepted?: () => void;
  readonly stateChange = { addListener: (fn: (s: SessionState) => void) => this.#listeners.push(fn) };
  progress = async (o: { statusCode: number }) => { this.sent.push(String(o.statusCode)); };
  reject = async (o: { statusCode: number }) => { this.sent.push(String(o.statusCode)); this.#set('Terminated' as SessionState); };
  bye = async () => { this.sent.push('BYE'); this.#set('Terminated' as SessionState); };
  accept = () => {
    this.#set('Establishing' as SessionState);
    return new Promise<void>((resolve) => { this.#accepted = resolve; });
  };
  /** The PBX's ACK arrives: the 200 went out, the session is established. */
  established(): void {
    this.sent.push('200');
    this.#set('Established' as SessionState);
    this.#accepted!();
  }
  #set(s: SessionState): void { this.state = s; for (const fn of this.#listeners) fn(s); }
}

class ScriptedCall extends EventEmitter {
  readonly id = 'call-1';
  ended = false;
  readonly media: unknown;
  constructor(media: unknown) { super(); this.media = media; }
  end(reason: string): void { this.ended = true; this.emit('ended', reason, 'answered'); }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('an inbound SIP call', () => {
  const inbound: InboundCalls[] = [];
  afterEach(() => { for (const i of inbound) i.close(); });

  const start = (call: ScriptedCall) => {
    const hangups: string[] = [];
    let started!: () => void;
    const startedP = new Promise<void>((resolve) => { started = resolve; });
    const calls: PhoneCallPort = {
      startFromPhone: async (phone, _entry, observe) => { observe(call as unknown as Call); started(); return call as unknown as Call; },
      hangup: async (callId, participantId) => { hangups.push(`${callId}/${participantId.slice(0, 4)}`); call.end('hangup-terminal'); },
      endCall: async (_callId, reason) => { call.end(reason); },
    };
    const bridge = new InboundCalls({ calls, entryOf: () => 'entry-1', bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }) });
    inbound.push(bridge);
    const invitation = new ScriptedInvitation();
    const account = { attachMedia: () => undefined, advertisedAddress: '127.0.0.1' } as unknown as SipAccount;
    const incoming = { accountId: 'pbx', dialled: '4711', caller: '7001', callId: 'c', source: { host: '127.0.0.1', port: 5060 }, invitation: invitation as unknown as Invitation } as IncomingCall;
    bridge.take(incoming, account);
    return { bridge, invitation, hangups, started: startedP };
  };

  it('the media cannot be joined (the worker fails): the call is hung up, so no desk rings on, and the PBX gets 500', async () => {
    const media = {
      closed: false,
      observer: new EventEmitter(),
      createPlainTransport: async () => { throw new Error('worker died'); },
    };
    const call = new ScriptedCall(media);
    const { bridge, invitation, hangups, started } = start(call);
    await started;
    await settle();
    expect(hangups).toEqual(['call-1/sip-']);
    expect(call.ended).toBe(true);
    expect(invitation.sent).toEqual(['500']);
    expect(bridge.calls.size).toBe(0);
  });

  it('the call ends while the 200 is on its way: BYE once the session is established, once', async () => {
    // No media (the call has none yet): the test is about signalling only.
    const call = new ScriptedCall(undefined);
    const { bridge, invitation, hangups, started } = start(call);
    await started;
    await settle();
    call.emit('step', { step: 'answered' });
    expect(invitation.state).toBe('Establishing');
    // The desk hangs up before the PBX's ACK: nothing to send yet (no final response to a 200 in flight).
    call.end('hangup-desk');
    expect(invitation.sent).toEqual([]);
    expect(bridge.calls.size).toBe(0);
    invitation.established();
    await settle();
    expect(invitation.sent).toEqual(['200', 'BYE']);
    expect(hangups).toEqual([]);
  });
});
