// SIP over WebSocket (RFC 7118 §5): each WebSocket message carries exactly one SIP
// message, so the frame is the message — Content-Length may be omitted (the body is
// the rest of the frame), and a wrong one is refused by the wire check (wire-check.ts,
// wholeMessage) with the connection kept, not taken for the end of a stream. A message
// of line breaks alone carries nothing: a double CRLF is a ping (one CRLF back, as over TCP).
import type { Frame, Framing } from './stream-framing.ts';

const PING = '\r\n\r\n';

export class WebSocketFraming implements Framing {
  /** One WebSocket message: one SIP message (leading line breaks dropped, RFC 3261 §7.5), a ping, or nothing. */
  push(message: Buffer): Frame[] {
    let start = 0;
    while (start < message.length && (message[start] === 0x0d || message[start] === 0x0a)) start++;
    if (start === message.length) return message.toString('latin1') === PING ? [{ kind: 'ping' }] : [];
    return [{ kind: 'message', data: message.subarray(start) }];
  }
}
