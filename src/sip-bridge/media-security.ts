// Whether a telephone leg's media is SRTP (SDES keys, RFC 4568) or plain RTP:
// the account's sip.accounts[].srtp (off | offer | require) and its signalling
// — SDES keys travel inside the SDP, so SRTP is spoken only over TLS — decide
// what we offer, how we answer an offer, and whether the far end's answer is
// taken. `offer` writes RTP/AVP with a=crypto (SRTP at best effort: a far end
// without SRTP answers plain), `require` writes RTP/SAVP and ends a call whose
// answer has no key we offered. Every key is random per call and direction.
import { InvalidError } from '../core/index.ts';
import type { AudioAnswer } from './sdp.ts';
import { readCrypto, writeCrypto, type SdesRefusal } from './sdes.ts';
import { randomMasterKey, sameMasterKey, SRTP_SUITES, type SrtpMasterKey } from './srtp-keys.ts';

export type SrtpMode = 'off' | 'offer' | 'require';
/** What a leg's media travels as (shown on the admin and desk pages: 'rtp' is a plain leg). */
export type LegMedia = 'srtp' | 'rtp';

/** The account's side: its srtp setting and whether its signalling is TLS. */
export interface SrtpPolicy { mode: SrtpMode; tls: boolean }

/** Why SRTP negotiation ended the call (488 to an offer, BYE after an answer); logged, never with a key. */
export type SrtpRefusal =
  | 'srtp.needs-tls' // RTP/SAVP offered over UDP/TCP: its keys travelled in the clear
  | 'srtp.off' // RTP/SAVP offered to an account with srtp: off
  | 'srtp.no-suite' // RTP/SAVP (or our required offer) without one usable a=crypto
  | 'srtp.required'; // a plain offer or answer to an account with srtp: require

/** The keys of an SRTP leg: ours encrypts what we send, the far end's decrypts what it sends. */
export interface SrtpKeys { send: SrtpMasterKey; receive: SrtpMasterKey }

export type Negotiated =
  | { media: 'rtp' }
  | { media: 'srtp'; keys: SrtpKeys; /** our a=crypto value for the answer */ crypto: string; /** its tag */ tag: number; savp: boolean }
  | { refused: SrtpRefusal; /** the far end's refused a=crypto attributes, by tag and reason */ why: { tag: string; reason: SdesRefusal }[] };


/** Our answer to the far end's audio offer; `current`: the keys in use (a re-offer with the same key keeps ours, and the stream's state). */
export function answerOffer(offer: AudioAnswer, policy: SrtpPolicy, current?: SrtpKeys): Negotiated {
  const offered = offer.crypto ?? [];
  if (!policy.tls) return offer.savp ? { refused: 'srtp.needs-tls', why: [] } : { media: 'rtp' };
  if (policy.mode === 'off') return offer.savp ? { refused: 'srtp.off', why: [] } : { media: 'rtp' };
  const read = readCrypto(offered);
  if (read.taken && current && sameMasterKey(read.taken.key, current.receive)) {
    return { media: 'srtp', keys: current, crypto: writeCrypto(read.taken.tag, current.send), tag: read.taken.tag, savp: offer.savp === true };
  }
  if (read.taken) {
    const send = randomMasterKey(read.taken.key.suite);
    return { media: 'srtp', keys: { send, receive: read.taken.key }, crypto: writeCrypto(read.taken.tag, send), tag: read.taken.tag, savp: offer.savp === true };
  }
  if (offer.savp) return { refused: 'srtp.no-suite', why: read.refused };
  return policy.mode === 'require' ? { refused: 'srtp.required', why: read.refused } : { media: 'rtp' };
}

/** Our offer's keys: one per suite, tagged 1, 2, … (none with srtp off or without TLS). */
export interface SrtpOffer {
  keys: Map<number, SrtpMasterKey>;
  /** Our a=crypto values. */
  crypto: string[];
  savp: boolean;
}

export function makeOffer(policy: SrtpPolicy): SrtpOffer | undefined {
  if (policy.mode === 'off' || !policy.tls) return undefined;
  const keys = new Map(SRTP_SUITES.map((suite, i) => [i + 1, randomMasterKey(suite)] as const));
  return { keys, crypto: [...keys].map(([tag, key]) => writeCrypto(tag, key)), savp: policy.mode === 'require' };
}

/** The far end's answer to our offer: SRTP with the key it answered one of our tags with, plain, or refused (BYE). */
export function acceptAnswer(answer: AudioAnswer, offer: SrtpOffer | undefined, mode: SrtpMode): Negotiated {
  if (!offer) return answer.savp ? { refused: 'srtp.off', why: [] } : { media: 'rtp' };
  const read = readCrypto(answer.crypto ?? []);
  const ours = read.taken && offer.keys.get(read.taken.tag);
  if (read.taken && ours && ours.suite === read.taken.key.suite) {
    return { media: 'srtp', keys: { send: ours, receive: read.taken.key }, crypto: '', tag: read.taken.tag, savp: offer.savp };
  }
  if (answer.savp || (answer.crypto ?? []).length > 0 || mode === 'require') {
    return { refused: mode === 'require' && !answer.crypto ? 'srtp.required' : 'srtp.no-suite', why: read.refused };
  }
  return { media: 'rtp' };
}

/** SRTP negotiation refused the far end's SDP: 488 to its offer, BYE after its answer. Its message names the reason, never a key. */
export class SrtpRefusedError extends InvalidError {
  readonly refusal: SrtpRefusal;
  readonly attributes: { tag: string; reason: SdesRefusal }[];

  constructor(refusal: SrtpRefusal, attributes: { tag: string; reason: SdesRefusal }[]) {
    super(`SRTP not agreed (${refusal}) / SRTP nicht ausgehandelt`, { reason: refusal, params: {} });
    this.refusal = refusal;
    this.attributes = attributes;
  }
}

/** The fields of writeOffer() that carry our keys: a=crypto values and the profile. */
export interface CryptoFields { crypto?: string[]; savp?: boolean }

/** What a leg's security keys: the relay's SRTP, switched on, re-keyed or off (plain RTP again). */
export interface SecuredRelay { secure(keys: SrtpKeys): void; plain(): void }

/**
 * One leg's side of the negotiation: what it offers, how it answers and takes
 * answers, and the relay it keys. Its keys change only when the far end's do
 * (a re-INVITE repeating its key keeps the streams' rollover counters); a later
 * offer or answer without a key (`offer`: the PBX moved the call to a phone
 * without SRTP) drops them, and the leg is plain RTP again.
 */
export class LegSecurity {
  readonly policy: SrtpPolicy;
  #relay?: SecuredRelay;
  /**
   * The a=crypto of our last SDP — our offer, or our answer's one key — which our next offer repeats and
   * the far end's answer to it names (review s22 #24: an inbound call's session refresh); null: plain.
   */
  #ours?: SrtpOffer | null;
  #keys?: SrtpKeys;

  constructor(policy: SrtpPolicy, relay?: SecuredRelay) {
    this.policy = policy;
    this.#relay = relay;
  }

  /** The relay opened after the offer was answered: it takes the keys agreed so far. */
  bind(relay: SecuredRelay): void {
    this.#relay = relay;
    if (this.#keys) relay.secure(this.#keys);
  }

  get media(): LegMedia { return this.#keys ? 'srtp' : 'rtp'; }

  /** Our offer's a=crypto: the keys of our last SDP (a refresh offers what the far end has), at first one fresh key per suite. */
  offer(): CryptoFields {
    if (this.#ours === undefined) this.#ours = makeOffer(this.policy) ?? null;
    return this.#ours ? { crypto: this.#ours.crypto, savp: this.#ours.savp } : {};
  }

  /** The far end answered our offer (a 183's or the 200's SDP, or the answer to a re-INVITE of ours): our send key stays. */
  answered(answer: AudioAnswer): void {
    const n = acceptAnswer(answer, this.#ours ?? undefined, this.policy.mode);
    if ('refused' in n) throw new SrtpRefusedError(n.refused, n.why);
    if (n.media === 'srtp') this.#use(n.keys);
    else this.#drop();
  }

  /** Our answer to the far end's offer (an inbound INVITE's, or a re-INVITE's). */
  answer(offer: AudioAnswer): CryptoFields {
    const n = answerOffer(offer, this.policy, this.#keys);
    if ('refused' in n) throw new SrtpRefusedError(n.refused, n.why);
    if (n.media === 'rtp') {
      this.#ours = null;
      this.#drop();
      return {};
    }
    this.#use(n.keys);
    this.#ours = { keys: new Map([[n.tag, n.keys.send]]), crypto: [n.crypto], savp: n.savp };
    return { crypto: [n.crypto], savp: n.savp };
  }

  #use(keys: SrtpKeys): void {
    if (this.#keys && sameMasterKey(this.#keys.send, keys.send) && sameMasterKey(this.#keys.receive, keys.receive)) return;
    this.#keys = keys;
    this.#relay?.secure(keys);
  }

  /** Plain RTP (again): the keys are forgotten, the relay stops protecting from the next packet on. */
  #drop(): void {
    if (!this.#keys) return;
    this.#keys = undefined;
    this.#relay?.plain();
  }
}
