// Portier's thin SDP layer for telephone legs: the offer it writes and what it reads
// from answers real PBXs send (session- or media-level c=, a=rtcp, rtcp-mux, a
// dynamic payload type for PCMA, a refused stream), opus beside G.711 where an
// account lists it, and a named refusal for anything without an offered codec —
// never another exception, whatever comes in.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { answerFormats, codecsOf, codecsToOffer, readAnswer, telephoneEventsToOffer, writeOffer } from '../../src/sip-bridge/index.ts';
import { InvalidError } from '../../src/core/index.ts';

const G711 = ['audio/PCMU', 'audio/PCMA'] as const;
const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';

describe('SDP for G.711 legs', () => {
  it('offers PCMU and PCMA on RTP/AVP with a separate RTCP port and no rtcp-mux', () => {
    const offer = writeOffer({ address: '10.0.0.20', rtpPort: 40000, rtcpPort: 40007, codecs: [...G711], sessionId: '42', version: 0 });
    expect(offer.split('\r\n')).toEqual([
      'v=0', 'o=portier 42 0 IN IP4 10.0.0.20', 's=Portier', 'c=IN IP4 10.0.0.20', 't=0 0',
      'm=audio 40000 RTP/AVP 0 8', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtcp:40007', 'a=ptime:20', 'a=sendrecv', '',
    ]);
    expect(offer).not.toContain('rtcp-mux');
  });

  it('offers RFC 4733 telephone-event/8000 (events 0-15) after G.711 — only that one for G.711 alone', () => {
    expect(telephoneEventsToOffer(G711)).toEqual([{ payloadType: 101, rate: 8000 }]);
    const offer = writeOffer({ address: '10.0.0.20', rtpPort: 40000, rtcpPort: 40007, codecs: [...G711], sessionId: '42', version: 0, telephoneEvents: telephoneEventsToOffer(G711) });
    expect(offer.split('\r\n').slice(5, 10)).toEqual(['m=audio 40000 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15']);
  });

  it('reads the first offered codec of the answer, where to send and its telephone-event payload type', () => {
    expect(readAnswer(sdp('v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0', 'm=audio 30000 RTP/AVP 8 101', 'a=rtpmap:101 telephone-event/8000'), G711))
      .toEqual({ address: '10.0.0.5', rtpPort: 30000, rtcpPort: 30001, rtcpMux: false, codec: 'audio/PCMA', payloadType: 8, direction: 'sendrecv', telephoneEvent: 101, telephoneEventRate: 8000 });
    // Another number than offered (96), in any case; not listed on the m= line, or at another rate: no RFC 4733.
    expect(readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 0 96', 'a=rtpmap:96 Telephone-Event/8000'), G711).telephoneEvent).toBe(96);
    expect(readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 0', 'a=rtpmap:101 telephone-event/8000'), G711).telephoneEvent).toBeUndefined();
    expect(readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/48000'), G711).telephoneEvent).toBeUndefined();
  });

  it('takes a media-level c=, a=rtcp, rtcp-mux, a dynamic payload type and the direction', () => {
    const answer = sdp('v=0', 'o=- 1 1 IN IP4 1.1.1.1', 's=-', 'c=IN IP4 1.1.1.1', 't=0 0',
      'm=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 0', 'm=audio 31000 RTP/AVP 97', 'c=IN IP4 10.0.0.6', 'a=rtpmap:97 pcma/8000', 'a=rtcp:31005', 'a=sendonly');
    expect(readAnswer(answer, G711)).toMatchObject({ address: '10.0.0.6', rtpPort: 31000, rtcpPort: 31005, codec: 'audio/PCMA', payloadType: 97, direction: 'sendonly' });
    const muxed = sdp('v=0', 'c=IN IP4 10.0.0.7', 'm=audio 32000 RTP/AVP 0', 'a=rtcp-mux');
    expect(readAnswer(muxed, G711)).toMatchObject({ rtpPort: 32000, rtcpPort: 32000, rtcpMux: true, codec: 'audio/PCMU' });
  });

  it('reads an RTP/SAVP stream and its a=crypto values; whether SRTP is agreed is media-security\'s call', () => {
    const key = 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
    expect(readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${key}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_32 ${key}`), G711))
      .toMatchObject({ codec: 'audio/PCMU', savp: true, crypto: [`1 AES_CM_128_HMAC_SHA1_80 ${key}`, `2 AES_CM_128_HMAC_SHA1_32 ${key}`] });
    const plain = readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 0'), G711);
    expect(plain).not.toHaveProperty('savp');
    expect(plain).not.toHaveProperty('crypto');
  });

  it('offers RTP/SAVP with our a=crypto lines when asked to', () => {
    const offer = writeOffer({ address: '10.0.0.20', rtpPort: 40000, rtcpPort: 40007, codecs: ['audio/PCMU'], sessionId: '42', version: 0, savp: true, crypto: ['1 AES_CM_128_HMAC_SHA1_80 inline:x'] });
    expect(offer).toContain('m=audio 40000 RTP/SAVP 0\r\n');
    expect(offer).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n');
  });

  it('refuses by name an answer without offered G.711 (opus only, SRTP/AVPF, a refused stream, no address, no valid port)', () => {
    for (const answer of [
      sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2'),
      sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 UDP/TLS/RTP/SAVPF 0'),
      sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 0 RTP/AVP 0'),
      sdp('v=0', 'm=audio 30000 RTP/AVP 0'),
      sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 70000 RTP/AVP 0'),
    ]) expect(() => readAnswer(answer, G711)).toThrow(InvalidError);
    expect(() => readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 8'), ['audio/PCMU'])).toThrow(InvalidError);
  });

  it('never throws anything but its named refusal, whatever the far end sends', () => {
    const line = fc.oneof(fc.string(), fc.constantFrom('m=audio 1 RTP/AVP 0', 'c=IN IP4 x', 'a=rtcp:', 'a=rtpmap:8 PCMA/8000', 'a=rtcp-mux', 'm=audio 99999999 RTP/AVP 8 8'));
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      try { readAnswer(lines.join('\r\n'), G711); } catch (error) { expect(error).toBeInstanceOf(InvalidError); }
    }));
  });
});

describe('SDP with opus (RFC 7587) beside G.711', () => {
  const ALL = ['audio/opus', 'audio/PCMU', 'audio/PCMA'] as const;

  it('offers opus/48000/2 with in-band FEC at payload type 111 first, then G.711, telephone-event/48000 (110) and /8000 (101)', () => {
    const offer = writeOffer({ address: '10.0.0.20', rtpPort: 40000, rtcpPort: 40007, codecs: [...ALL], sessionId: '42', version: 0, telephoneEvents: telephoneEventsToOffer(ALL) });
    expect(offer.split('\r\n').slice(5, 14)).toEqual([
      'm=audio 40000 RTP/AVP 111 0 8 110 101', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 useinbandfec=1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:110 telephone-event/48000', 'a=fmtp:110 0-15', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15',
    ]);
    // RFC 4733 §2.1: the event clock is the codec's; 8000 stays for PBXs that answer opus with it (review s26 #3).
    expect(telephoneEventsToOffer(['audio/opus'])).toEqual([{ payloadType: 110, rate: 48000 }, { payloadType: 101, rate: 8000 }]);
    expect(telephoneEventsToOffer(['audio/PCMA', 'audio/opus'])).toEqual([{ payloadType: 101, rate: 8000 }, { payloadType: 110, rate: 48000 }]);
    // Never at the audio's number (opus agreed at 110 or 101: the next free dynamic one); events agreed keep theirs (review s27 #1).
    expect(telephoneEventsToOffer(['audio/opus'], [110])).toEqual([{ payloadType: 96, rate: 48000 }, { payloadType: 101, rate: 8000 }]);
    expect(telephoneEventsToOffer(['audio/opus'], [101])).toEqual([{ payloadType: 110, rate: 48000 }, { payloadType: 96, rate: 8000 }]);
    expect(telephoneEventsToOffer(['audio/opus'], [96], [{ payloadType: 110, rate: 8000 }])).toEqual([{ payloadType: 97, rate: 48000 }, { payloadType: 110, rate: 8000 }]);
  });

  it('reads an opus answer at the far end\'s payload type, with its telephone-event at 48000 (or 8000 when that is all it has)', () => {
    const answer = sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 96 97', 'a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1', 'a=rtpmap:97 telephone-event/48000');
    expect(readAnswer(answer, ALL)).toMatchObject({ codec: 'audio/opus', payloadType: 96, telephoneEvent: 97, telephoneEventRate: 48000 });
    const narrow = sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 111 101', 'a=rtpmap:111 OPUS/48000/2', 'a=rtpmap:101 telephone-event/8000');
    expect(readAnswer(narrow, ALL)).toMatchObject({ codec: 'audio/opus', payloadType: 111, telephoneEvent: 101, telephoneEventRate: 8000 });
    // opus at another clock rate is not opus (RFC 7587 §7: always 48000).
    expect(() => readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 111', 'a=rtpmap:111 opus/16000'), ALL)).toThrow(InvalidError);
  });

  it('takes a preferred codec wherever the stream lists it (an account with opus first), else the stream\'s order', () => {
    const offer = sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 8 0 107', 'a=rtpmap:107 opus/48000/2');
    expect(readAnswer(offer, ALL, 'audio/opus')).toMatchObject({ codec: 'audio/opus', payloadType: 107 });
    expect(readAnswer(offer, ALL)).toMatchObject({ codec: 'audio/PCMA', payloadType: 8 });
    expect(readAnswer(offer, ['audio/PCMU', 'audio/PCMA'], 'audio/opus')).toMatchObject({ codec: 'audio/PCMA' });
  });

  it('an answer to an opus offer keeps the offer\'s payload type and telephone-event; G.711 keeps its static number', () => {
    const offer = readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 107 110', 'a=rtpmap:107 opus/48000/2', 'a=rtpmap:110 telephone-event/48000'), ALL, 'audio/opus');
    const ours = writeOffer({ address: '10.0.0.20', rtpPort: 40000, rtcpPort: 40001, codecs: [offer.codec], sessionId: '1', version: 1, ...answerFormats(offer) });
    expect(ours).toContain('m=audio 40000 RTP/AVP 107 110\r\na=rtpmap:107 opus/48000/2\r\na=fmtp:107 useinbandfec=1\r\na=rtpmap:110 telephone-event/48000\r\n');
    const g711 = readAnswer(sdp('v=0', 'c=IN IP4 10.0.0.5', 'm=audio 30000 RTP/AVP 97', 'a=rtpmap:97 PCMA/8000'), ALL, 'audio/opus');
    expect(answerFormats(g711)).toEqual({});
  });

  it('an account\'s codecs: each once, G.711 always among them; a leg joining two browsers offers G.711 only', () => {
    expect(codecsOf(['opus', 'pcma'], 'sip.codecs')).toEqual(['audio/opus', 'audio/PCMA']);
    for (const bad of [['opus'], ['opus', 'pcmu', 'opus'], ['pcma', 'pcma']] as const) {
      expect(() => codecsOf(bad, 'sip.accounts.0.codecs')).toThrow(expect.objectContaining({ why: expect.objectContaining({ reason: 'sip.codecs', params: { key: 'sip.accounts.0.codecs' } }) }));
    }
    const p = (id: string, kind: 'terminal' | 'desk' | 'sip', inCall = true) => ({ id, kind, audioCodec: 'audio/opus' as const, inCall });
    const me = p('leg', 'sip', false);
    expect(codecsToOffer([...ALL], [p('terminal', 'terminal'), me], 'leg')).toEqual([...ALL]);
    // A desk that only rings is not in the call; the telephone a PBX's move replaces is not counted.
    expect(codecsToOffer([...ALL], [p('terminal', 'terminal'), p('rita', 'desk', false), p('old-phone', 'sip'), me], 'leg')).toEqual([...ALL]);
    expect(codecsToOffer([...ALL], [p('terminal', 'terminal'), p('rita', 'desk'), me], 'leg')).toEqual(['audio/PCMU', 'audio/PCMA']);
  });
});
