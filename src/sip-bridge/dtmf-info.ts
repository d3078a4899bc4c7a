// DTMF in SIP INFO (the legacy usage RFC 6086 §2 keeps): `application/dtmf-relay`
// (Cisco's `Signal=1\r\nDuration=160`) and `application/dtmf` (the key itself).
// What an INFO request is answered with follows from what its body is: 200 for a
// key or an empty INFO (some PBXs use those as keep-alives), 415 with Accept for
// a body of another type, 400 for a DTMF body without a key.
import type { Info } from 'sip.js';
import type { DtmfDigit } from '../calls/index.ts';

/** The INFO bodies Portier reads (the Accept header of a 415). */
export const DTMF_INFO_TYPES = ['application/dtmf-relay', 'application/dtmf'] as const;

export type DtmfInfo =
  | { status: 200; digit?: DtmfDigit }
  | { status: 400; reason: string }
  | { status: 415 };

const KEYS = '0123456789*#ABCD';

/** A key as INFO bodies write it: the character, or its RFC 4733 event code (10 = *, 11 = #, 12–15 = A–D). */
function keyOf(value: string): DtmfDigit | undefined {
  const v = value.trim().toUpperCase();
  if (v.length === 1 && KEYS.includes(v)) return v as DtmfDigit;
  if (/^1[0-5]$/.test(v)) return KEYS[Number(v)] as DtmfDigit;
  return undefined;
}

/** Reads an INFO request's body by its Content-Type (parameters ignored, case-insensitive). */
export function readDtmfInfo(contentType: string | undefined, body: string): DtmfInfo {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (body.trim() === '' && (type === '' || (DTMF_INFO_TYPES as readonly string[]).includes(type))) return { status: 200 };
  if (type === 'application/dtmf-relay') {
    const signal = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body)?.[1];
    const digit = signal === undefined ? undefined : keyOf(signal);
    return digit ? { status: 200, digit } : { status: 400, reason: 'no Signal key in the dtmf-relay body' };
  }
  if (type === 'application/dtmf') {
    const digit = keyOf(body);
    return digit ? { status: 200, digit } : { status: 400, reason: 'no key in the dtmf body' };
  }
  return { status: 415 };
}

/**
 * Answers an INFO in a call's dialog as its body says: a DTMF body is a key (200), an empty one a
 * keep-alive (200), another type 415 with what we accept, a DTMF body without a key 400. The key, if any.
 */
export function answerDtmfInfo(info: Info): DtmfDigit | undefined {
  const { request } = info;
  const read = readDtmfInfo(request.getHeader('content-type'), request.body ?? '');
  if (read.status === 415) {
    void info.reject({ statusCode: 415, extraHeaders: [`Accept: ${DTMF_INFO_TYPES.join(', ')}`] }).catch(() => undefined);
    return undefined;
  }
  if (read.status === 400) {
    void info.reject({ statusCode: 400, reasonPhrase: read.reason }).catch(() => undefined);
    return undefined;
  }
  void info.accept().catch(() => undefined);
  return read.digit;
}
