// RFC 4733 telephone-events (DTMF in the RTP stream) as the SIP leg's RTP relay
// receives them: one digit per event, taken at its End bit. The Marker bit is
// not used — many providers do not set it on DTMF packets — and the End packet
// is sent three times (RFC 4733 §2.5.1.4) with the event's RTP timestamp, which
// is what dedupes it. mediasoup does not pass telephone-event packets from a
// producer to its consumers (test/sip-bridge/telephone-event-forwarding.test.ts),
// so they are read here, in Node, before the relay hands the audio on.
import type { DtmfDigit } from '../calls/index.ts';

/** RFC 4733 §3.2 event codes 0–15. */
const EVENT_DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

export interface TelephoneEvent {
  digit: DtmfDigit;
  end: boolean;
  /** RTP timestamp of the event's start (the same in every packet of one event). */
  timestamp: number;
  ssrc: number;
}

/**
 * One RTP packet's telephone-event, or undefined when it is not one a receiver
 * can use (too short, an event code past 15, e.g. a flash or a tone).
 */
export function readTelephoneEvent(packet: Buffer): TelephoneEvent | undefined {
  if (packet.length < 12 || (packet[0]! & 0xc0) !== 0x80) return undefined;
  const csrcs = packet[0]! & 0x0f;
  let offset = 12 + csrcs * 4;
  // A header extension (X bit): 4 bytes of header, then its length in 32-bit words.
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  const padding = packet[0]! & 0x20 ? packet[packet.length - 1]! : 0;
  if (packet.length - padding < offset + 4) return undefined;
  const digit = EVENT_DIGITS[packet[offset]!];
  if (digit === undefined) return undefined;
  return { digit, end: (packet[offset + 1]! & 0x80) !== 0, timestamp: packet.readUInt32BE(4), ssrc: packet.readUInt32BE(8) };
}

/** How many ended events are remembered (redundant End packets arrive within a few packets of each other; reordering is rare). */
const REMEMBERED = 8;

/** Turns a stream of telephone-event packets into digits: one per event, at its first End packet. */
export class TelephoneEventReceiver {
  readonly #ended: string[] = [];

  /** The digit this packet completes, or undefined (not an end, or an end already counted). */
  receive(packet: Buffer): DtmfDigit | undefined {
    const event = readTelephoneEvent(packet);
    if (!event?.end) return undefined;
    const key = `${event.ssrc}:${event.timestamp}`;
    if (this.#ended.includes(key)) return undefined;
    this.#ended.push(key);
    if (this.#ended.length > REMEMBERED) this.#ended.shift();
    return event.digit;
  }
}
