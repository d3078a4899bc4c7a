// SDES key exchange for SRTP (RFC 4568): the a=crypto attributes of an audio
// section read into the first one Portier can use, and ours written. Only
// inline keys of the suites in srtp-keys.ts, one key per attribute, no MKI and
// no session parameters (KDR, UNENCRYPTED_SRTP…): an attribute with any of
// these is refused by name — never a crash — and the next one is tried. The key
// itself never appears in a refusal, a log line or a status view.
import { MASTER_KEY_BYTES, MASTER_SALT_BYTES, SRTP_SUITES, type SrtpMasterKey, type SrtpSuite } from './srtp-keys.ts';

/** Why an a=crypto attribute was not taken (log reasons; the key is never part of them). */
export type SdesRefusal = 'srtp.malformed' | 'srtp.unknown-suite' | 'srtp.key-length' | 'srtp.mki' | 'srtp.session-params' | 'srtp.lifetime';

/** An a=crypto attribute taken: its tag (the answer repeats it) and the far end's key. */
export interface SdesKey {
  tag: number;
  key: SrtpMasterKey;
}

export interface SdesRead {
  /** The first attribute Portier can use, in the offer's order (its preference); undefined: none. */
  taken?: SdesKey;
  /** Each attribute not taken, by its tag (or its position when the tag is unreadable) and why. */
  refused: { tag: string; reason: SdesRefusal }[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The a=crypto values (after `a=crypto:`) of one media section. */
export function readCrypto(values: readonly string[]): SdesRead {
  const refused: SdesRead['refused'] = [];
  for (const [i, value] of values.entries()) {
    const read = readOne(value);
    if ('reason' in read) refused.push({ tag: /^\d{1,9}(?= )/.exec(value)?.[0] ?? `#${i + 1}`, reason: read.reason });
    else return { taken: read, refused };
  }
  return { refused };
}

function readOne(value: string): SdesKey | { reason: SdesRefusal } {
  const m = /^(\d{1,9}) +(\S+) +(\S+)(?: +(.*))?$/.exec(value.trim());
  if (!m) return { reason: 'srtp.malformed' };
  const suite = m[2]!;
  if (!(SRTP_SUITES as readonly string[]).includes(suite)) return { reason: 'srtp.unknown-suite' };
  // Several key-params (';'-joined) are for MKI rekeying: not supported.
  const keyParams = m[3]!.split(';');
  if (keyParams.length !== 1 || !keyParams[0]!.startsWith('inline:')) return { reason: keyParams.length > 1 ? 'srtp.mki' : 'srtp.malformed' };
  const [keySalt, ...rest] = keyParams[0]!.slice('inline:'.length).split('|');
  if (m[4]?.trim()) return { reason: 'srtp.session-params' };
  for (const part of rest) {
    if (/^\d+:\d+$/.test(part)) return { reason: 'srtp.mki' };
    // Lifetime (2^n or decimal): more than 2^31 packets is allowed by neither suite (RFC 4568 §6.2.1).
    const lifetime = /^2\^(\d+)$/.exec(part)?.[1];
    if (lifetime !== undefined ? Number(lifetime) > 31 : !/^\d+$/.test(part) || Number(part) > 2 ** 31) {
      return { reason: /^\d+$|^2\^\d+$/.test(part) ? 'srtp.lifetime' : 'srtp.malformed' };
    }
  }
  if (!keySalt || !BASE64.test(keySalt)) return { reason: 'srtp.malformed' };
  const bytes = Buffer.from(keySalt, 'base64');
  if (bytes.length !== MASTER_KEY_BYTES + MASTER_SALT_BYTES) return { reason: 'srtp.key-length' };
  return {
    tag: Number(m[1]),
    key: { suite: suite as SrtpSuite, key: bytes.subarray(0, MASTER_KEY_BYTES), salt: bytes.subarray(MASTER_KEY_BYTES) },
  };
}

/** Our a=crypto value: `<tag> <suite> inline:<base64 key||salt>`. */
export function writeCrypto(tag: number, key: SrtpMasterKey): string {
  return `${tag} ${key.suite} inline:${Buffer.concat([key.key, key.salt]).toString('base64')}`;
}
