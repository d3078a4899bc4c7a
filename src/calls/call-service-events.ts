// What the call service tells its adapters (signaling, the SIP bridge, the
// quality monitor) and the options it is built with.
import type { Call } from './call.ts';
import type { ConsultUpdate } from './attended-transfer.ts';
import type { DoorState } from './door-opening.ts';
import type { AudioCodec, MediaProtection, ProducerInfo } from './media-port.ts';
import type { CallStep, EndReason } from './types.ts';

export type CallServiceEvents = {
  /** Ring this desk user for the call. */
  ring: [userId: string, call: Call];
  /** Stop ringing this desk user (answered elsewhere, timeout, cancelled, ended). */
  stopring: [userId: string, call: Call, reason: string];
  step: [call: Call, step: CallStep];
  answered: [call: Call];
  ended: [call: Call, reason: EndReason];
  /** A host who was busy, offline or did not answer. */
  missed: [userId: string, call: Call];
  queue: [siteId: string, calls: Call[]];
  /** A participant produced: every other participant of the call may consume it. */
  newproducer: [call: Call, producer: ProducerInfo, to?: string];
  /** A participant's producer closed while the call goes on: whoever consumed it stops showing it. */
  producerclosed: [call: Call, producer: ProducerInfo];
  /** An attended transfer's consult moved on (the consulting desk and the colleague are told). */
  consult: [call: Call, update: ConsultUpdate];
  /** The calling terminal's door: opening, then open (acknowledged) or failed. */
  doorstate: [call: Call, state: DoorState];
  /** A telephone answered in G.711: this participant must send audio in `codec` now (produce again). */
  audiocodec: [call: Call, participantId: string, codec: AudioCodec];
  /** A telephone participant's media to its PBX is encrypted (srtp) or plain (rtp): known at its join, or later (a late offer's answer). */
  protection: [call: Call, participantId: string, media: MediaProtection];
  /**
   * A telephone's PBX moved the call (SIP REFER) to the entry's telephone: `answered`, it took the place of `from` (as `to`).
   * `name`: the call's own telephone (it called in) moved, and how the call names the new one.
   */
  moved: [call: Call, move: { from: string; to: string; entryId: string; name?: string; answered: boolean }];
};

export interface CallServiceOptions {
  queueTimeoutS: number;
  /** A terminal that answered a telephone by itself ends the call after this many seconds (calls.callback_max_seconds; default 600). */
  callbackMaxS?: number;
  /** Such calls reach the terminal outside the site's opening hours too (calls.callback_outside_hours; default no: call.closed). */
  callbackOutsideHours?: boolean;
  /** Whether a site's ringing desks see the visitor's video before they answer (privacy: no site by default). */
  ringingPreview?: (siteId: string) => boolean;
}
