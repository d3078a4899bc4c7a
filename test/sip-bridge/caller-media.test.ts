// The media of a call from the PBX, without a PBX: what CallerMedia takes from
// an INVITE before any socket opens — here the codec a late offer (an INVITE
// without SDP) offers in the 200: sip.late_offer_codec only where the account
// lists it, else the account's first G.711 codec (review s26 #4).
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Invitation } from 'sip.js';
import type { AudioCodec } from '../../src/calls/index.ts';
import { CallerMedia } from '../../src/sip-bridge/caller-media.ts';
import type { CallEndpoint, InboundCallsOptions } from '../../src/sip-bridge/sip-inbound.ts';

/** A CallerMedia for an INVITE without SDP through an account with `codecs` (undefined: a door station's, G.711). */
function lateOffer(codecs: readonly AudioCodec[] | undefined, lateOfferCodec: AudioCodec = 'audio/PCMA'): CallerMedia {
  const endpoint = { advertisedAddress: '127.0.0.1', ...(codecs ? { codecs } : {}) } as unknown as CallEndpoint;
  const media = new CallerMedia(
    { invitation: { body: '' } as unknown as Invitation, endpoint, accountId: 'pbx', participantId: 'sip-1', stationVideo: false, call: () => undefined, direction: () => undefined },
    { logger: pino({ level: 'silent' }), lateOfferCodec } as unknown as InboundCallsOptions,
  );
  expect(media.readInvite()).toBeUndefined();
  expect(media.awaitsAnswer).toBe(true);
  return media;
}

describe('CallerMedia: the codec of a late offer', () => {
  it('is sip.late_offer_codec where the account lists it (a door station: G.711, both)', () => {
    expect(lateOffer(['audio/opus', 'audio/PCMA', 'audio/PCMU']).codec).toBe('audio/PCMA');
    expect(lateOffer(['audio/PCMU', 'audio/PCMA'], 'audio/PCMU').codec).toBe('audio/PCMU');
    expect(lateOffer(undefined).codec).toBe('audio/PCMA');
    expect(lateOffer(undefined, 'audio/PCMU').codec).toBe('audio/PCMU');
  });

  it('is the account\'s first G.711 codec where it does not list sip.late_offer_codec (before: PCMA to a PBX that refuses A-law)', () => {
    expect(lateOffer(['audio/PCMU']).codec).toBe('audio/PCMU');
    expect(lateOffer(['audio/opus', 'audio/PCMU']).codec).toBe('audio/PCMU');
    expect(lateOffer(['audio/PCMA'], 'audio/PCMU').codec).toBe('audio/PCMA');
  });
});
