// The audio codecs of a telephone leg: G.711 (PCMU, PCMA: static payload types,
// RFC 3551) always, opus (RFC 7587: opus/48000/2, a dynamic payload type) where
// the account lists it (sip.codecs, sip.accounts[].codecs). mediasoup does not
// transcode: an opus leg forwards the browsers' own opus both ways, a G.711 leg
// makes them send G.711. What the SDP writes for each, what the leg's mediasoup
// producer is created with, and the account's list checked.
import type { AudioCodec, MediaParticipant } from '../calls/index.ts';
import { InvalidError } from '../core/index.ts';

/** A codec as the config spells it. */
export type CodecName = 'opus' | 'pcmu' | 'pcma';

const NAMED: Record<CodecName, AudioCodec> = { opus: 'audio/opus', pcmu: 'audio/PCMU', pcma: 'audio/PCMA' };

/** G.711 only, PCMU first: what a leg offers unless its account lists opus (the default of sip.codecs). */
export const G711_CODECS: readonly AudioCodec[] = ['audio/PCMU', 'audio/PCMA'];

/** The payload type Portier offers opus with (Chromium's; any dynamic one would do). */
export const OPUS_PT = 111;

/** Whether the codec is G.711 (a mix can be made of it in Node, src/media). */
export const isG711 = (codec: AudioCodec): boolean => codec !== 'audio/opus';

/**
 * The one codec offered in the 200 to an INVITE without SDP: `configured` (sip.late_offer_codec) where the account
 * lists it, else the account's first G.711 codec, else its first (review s26 #4: PCMA went to accounts without it).
 */
export function lateOfferCodecOf(configured: AudioCodec, accountCodecs: readonly AudioCodec[] = G711_CODECS): AudioCodec {
  if (accountCodecs.includes(configured)) return configured;
  return accountCodecs.find(isG711) ?? accountCodecs[0] ?? configured;
}

export const clockRateOf = (codec: AudioCodec): number => (codec === 'audio/opus' ? 48000 : 8000);

/** An RFC 4733 telephone-event format of a stream: its payload type and clock rate. */
export interface TelephoneEventFormat { payloadType: number; rate: number }

/** The payload type Portier offers telephone-event/8000 with (the usual one). */
export const TELEPHONE_EVENT_PT = 101;
/** Portier's telephone-event payload types by clock rate: 101 at 8000, 110 at opus's 48000. */
const TELEPHONE_EVENT_PTS: Readonly<Record<number, number>> = { 8000: TELEPHONE_EVENT_PT, 48000: 110 };

/** The dynamic payload types (RFC 3551 §3): where an event's number is taken from when its usual one is in use. */
const DYNAMIC_PTS: readonly number[] = Array.from({ length: 32 }, (_, i) => 96 + i);

/**
 * The telephone-events an offer of these codecs carries: one at each codec's clock rate, in the codecs' order
 * (RFC 4733 §2.1: the event clock is the audio's — opus's 48000, review s26 #3), and always the one at 8000,
 * which PBXs answer opus with too. Never at a number the offer's audio `used` (a PT maps one format, RFC 8866 §6.6:
 * the far end may number its opus 110 or 101, review s27 #1): the usual number (101, 110), else the next free dynamic
 * one. A re-offer passes the events agreed before as `kept`: they keep their number (RFC 3264 §8.3.2).
 */
export function telephoneEventsToOffer(codecs: readonly AudioCodec[], used: readonly number[] = codecs.map(ourPayloadType), kept: readonly TelephoneEventFormat[] = []): TelephoneEventFormat[] {
  const rates = [...new Set([...codecs.map(clockRateOf), 8000])];
  const taken = new Set(used);
  const keptByRate = new Map<number, number>();
  for (const e of kept) {
    if (!rates.includes(e.rate) || keptByRate.has(e.rate) || taken.has(e.payloadType)) continue;
    keptByRate.set(e.rate, e.payloadType);
    taken.add(e.payloadType);
  }
  return rates.map((rate) => {
    const usual = TELEPHONE_EVENT_PTS[rate]!;
    const payloadType = keptByRate.get(rate) ?? (taken.has(usual) ? DYNAMIC_PTS.find((pt) => !taken.has(pt))! : usual);
    taken.add(payloadType);
    return { payloadType, rate };
  });
}

/** The payload type Portier writes into its own offers: G.711's static one, opus's dynamic one. */
export function ourPayloadType(codec: AudioCodec): number {
  return codec === 'audio/opus' ? OPUS_PT : codec === 'audio/PCMU' ? 0 : 8;
}

/** The a=rtpmap (and a=fmtp) lines of a codec at a payload type: opus with in-band FEC (RFC 7587 §6.1). */
export function formatLines(codec: AudioCodec, pt: number): string[] {
  if (codec === 'audio/opus') return [`a=rtpmap:${pt} opus/48000/2`, `a=fmtp:${pt} useinbandfec=1`];
  return [`a=rtpmap:${pt} ${codec.slice('audio/'.length)}/8000`];
}

/** A codec named in an a=rtpmap (name, clock rate); undefined for one Portier does not speak. */
export function codecOfRtpmap(name: string, rate: string): AudioCodec | undefined {
  const upper = name.toUpperCase();
  if (rate === '8000') return upper === 'PCMU' ? 'audio/PCMU' : upper === 'PCMA' ? 'audio/PCMA' : undefined;
  return upper === 'OPUS' && rate === '48000' ? 'audio/opus' : undefined;
}

/**
 * The codec of the leg's mediasoup producer (on its plain transport): the relay rewrites
 * the far end's payload type to this one (rtp-relay.ts), whatever number the SDP agreed on.
 */
export function producerCodec(codec: AudioCodec): { mimeType: AudioCodec; payloadType: number; clockRate: number; channels?: number; parameters?: Record<string, number> } {
  const base = { mimeType: codec, payloadType: ourPayloadType(codec), clockRate: clockRateOf(codec) };
  return codec === 'audio/opus' ? { ...base, channels: 2, parameters: { useinbandfec: 1 } } : base;
}

/**
 * An account's codecs (sip.accounts[].codecs, else sip.codecs) in its order of preference: at least
 * one G.711 codec (a PBX without opus must still be reachable; a mix is G.711), none twice.
 */
export function codecsOf(names: readonly CodecName[], key: string): AudioCodec[] {
  const codecs = names.map((n) => NAMED[n]);
  if (new Set(codecs).size !== codecs.length || !codecs.some(isG711)) {
    throw new InvalidError(`${key}: lists each codec once and PCMU or PCMA (G.711 is always offered) / nennt jeden Codec einmal und PCMU oder PCMA (G.711 wird immer angeboten)`,
      { reason: 'sip.codecs', params: { key } });
  }
  return codecs;
}

/**
 * What a new leg offers: the account's codecs, or G.711 only when two browsers (terminal, desks)
 * are in the call already — it would hear a mix, and a mix is G.711 (docs/sip.md, "Codecs").
 * Telephones are not counted: Portier connects no telephone to another, so one in the call is
 * the one a PBX's move (REFER) replaces, and the two parties stay two.
 */
export function codecsToOffer(account: readonly AudioCodec[], participants: readonly MediaParticipant[], self: string): AudioCodec[] {
  const browsers = participants.filter((p) => p.inCall && p.id !== self && (p.kind === 'terminal' || p.kind === 'desk')).length;
  return browsers >= 2 ? account.filter(isG711) : [...account];
}
