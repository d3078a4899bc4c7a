// Whether a leg's media is SRTP: the account's srtp (off | offer | require) and
// TLS decide our offer, our answer to an offer and whether an answer is taken —
// an SRTP offer over UDP/TCP, to an account with srtp off, or with only suites
// we do not speak is refused by name (488), a plain one to `require` too; a
// re-offer repeating the far end's key keeps the keys (and the streams' state);
// a re-offer or answer adding or dropping a=crypto switches the leg and its relay
// (`require`: a plain re-offer is refused and the keys stay).
import { describe, expect, it } from 'vitest';
import { acceptAnswer, answerOffer, LegSecurity, makeOffer, randomMasterKey, readCrypto, SrtpRefusedError, writeCrypto, type AudioAnswer, type SrtpKeys } from '../../src/sip-bridge/index.ts';

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
const audio = (extra: Partial<AudioAnswer> = {}): AudioAnswer => ({
  address: '10.0.0.5', rtpPort: 30000, rtcpPort: 30001, rtcpMux: false, codec: 'audio/PCMU', payloadType: 0, direction: 'sendrecv', ...extra,
});
const savp = (...crypto: string[]) => audio({ savp: true, crypto });
const TLS = (mode: 'off' | 'offer' | 'require') => ({ mode, tls: true });

describe('SRTP negotiation (media-security.ts)', () => {
  it('answers an SRTP offer over TLS with its tag and suite and a fresh key of our own', () => {
    const n = answerOffer(savp(`1 AES_256_CM_HMAC_SHA1_80 inline:${KEY}${KEY}`, `2 AES_CM_128_HMAC_SHA1_32 inline:${KEY}`), TLS('offer'));
    if (!('media' in n) || n.media !== 'srtp') throw new Error(`not srtp: ${JSON.stringify(n)}`);
    expect(n.savp).toBe(true);
    expect(n.crypto).toMatch(/^2 AES_CM_128_HMAC_SHA1_32 inline:[A-Za-z0-9+/]{40}$/);
    expect(n.crypto).not.toContain(KEY);
    expect(Buffer.concat([n.keys.receive.key, n.keys.receive.salt]).toString('base64')).toBe(KEY);
    expect(readCrypto([n.crypto]).taken!.key).toEqual(n.keys.send);
    // RTP/AVP with a=crypto (SRTP at best effort) is answered the same way, in RTP/AVP.
    const best = answerOffer(audio({ crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`] }), TLS('require'));
    expect(best).toMatchObject({ media: 'srtp', savp: false });
  });

  it('refuses by name: SRTP over UDP/TCP, SRTP to srtp off, only unknown suites, a plain offer to require', () => {
    const offer = savp(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`);
    expect(answerOffer(offer, { mode: 'off', tls: false })).toEqual({ refused: 'srtp.needs-tls', why: [] });
    expect(answerOffer(offer, TLS('off'))).toEqual({ refused: 'srtp.off', why: [] });
    expect(answerOffer(savp(`1 AEAD_AES_128_GCM inline:${KEY}`, `2 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|1:4`), TLS('offer')))
      .toEqual({ refused: 'srtp.no-suite', why: [{ tag: '1', reason: 'srtp.unknown-suite' }, { tag: '2', reason: 'srtp.mki' }] });
    expect(answerOffer(audio(), TLS('require'))).toEqual({ refused: 'srtp.required', why: [] });
    // Plain where plain is fine: best-effort keys over UDP are not used, a plain offer to 'offer' stays plain.
    expect(answerOffer(audio({ crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`] }), { mode: 'off', tls: false })).toEqual({ media: 'rtp' });
    expect(answerOffer(audio(), TLS('offer'))).toEqual({ media: 'rtp' });
  });

  it('offers both suites with fresh keys (RTP/SAVP only for require), none without TLS or with srtp off', () => {
    expect(makeOffer(TLS('off'))).toBeUndefined();
    expect(makeOffer({ mode: 'require', tls: false })).toBeUndefined();
    const offer = makeOffer(TLS('offer'))!;
    expect(offer.savp).toBe(false);
    expect(offer.crypto.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['1 AES_CM_128_HMAC_SHA1_80', '2 AES_CM_128_HMAC_SHA1_32']);
    expect(makeOffer(TLS('require'))!.savp).toBe(true);
    expect(makeOffer(TLS('offer'))!.crypto).not.toEqual(offer.crypto);
  });

  it('takes an answer naming one of our tags with its suite; refuses another tag, a plain answer to require', () => {
    const offer = makeOffer(TLS('require'))!;
    const theirs = randomMasterKey('AES_CM_128_HMAC_SHA1_32');
    const n = acceptAnswer(savp(writeCrypto(2, theirs)), offer, 'require');
    expect(n).toMatchObject({ media: 'srtp', keys: { send: offer.keys.get(2), receive: theirs } });
    expect(acceptAnswer(savp(writeCrypto(3, theirs)), offer, 'require')).toMatchObject({ refused: 'srtp.no-suite' });
    expect(acceptAnswer(savp(writeCrypto(1, theirs)), offer, 'require')).toMatchObject({ refused: 'srtp.no-suite' });
    expect(acceptAnswer(audio(), offer, 'require')).toMatchObject({ refused: 'srtp.required' });
    expect(acceptAnswer(audio(), makeOffer(TLS('offer')), 'offer')).toEqual({ media: 'rtp' });
    expect(acceptAnswer(savp(writeCrypto(1, theirs)), undefined, 'off')).toMatchObject({ refused: 'srtp.off' });
  });

  it('a leg keys its relay once per key: a re-offer with the same key keeps ours, a new key rekeys; a refusal is a named error', () => {
    const keyed: SrtpKeys[] = [];
    const leg = new LegSecurity(TLS('offer'), { secure: (k) => keyed.push(k), plain: () => {} });
    expect(leg.media).toBe('rtp');
    const first = leg.answer(savp(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect(leg.media).toBe('srtp');
    const again = leg.answer(savp(`7 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect(again.crypto![0]!.split(' ')[2]).toBe(first.crypto![0]!.split(' ')[2]);
    expect(keyed).toHaveLength(1);
    leg.answer(savp(writeCrypto(1, randomMasterKey('AES_CM_128_HMAC_SHA1_80'))));
    expect(keyed).toHaveLength(2);
    expect(() => leg.answer(savp(`1 F8_128_HMAC_SHA1_80 inline:${KEY}`))).toThrow(SrtpRefusedError);
    try {
      new LegSecurity({ mode: 'off', tls: false }).answer(savp(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    } catch (error) {
      expect(error).toBeInstanceOf(SrtpRefusedError);
      expect((error as SrtpRefusedError).why.reason).toBe('srtp.needs-tls');
      expect((error as Error).message).not.toContain(KEY);
    }
  });

  /** A leg on `mode` whose relay records what it was told: 'secure' (new keys) or 'plain'. */
  const recorded = (mode: 'offer' | 'require') => {
    const told: string[] = [];
    return { told, leg: new LegSecurity(TLS(mode), { secure: () => told.push('secure'), plain: () => told.push('plain') }) };
  };

  it('offer: a re-offer without a=crypto drops the keys (the relay goes plain, no key in our answer); one with a=crypto secures again', () => {
    const { told, leg } = recorded('offer');
    leg.answer(savp(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect(leg.answer(audio())).toEqual({});
    expect([leg.media, told]).toEqual(['rtp', ['secure', 'plain']]);
    // Our next offer (a session refresh) carries no key of the old SRTP leg.
    expect(leg.offer()).toEqual({});
    // A plain leg re-offered with a key: SRTP with it and a fresh key of ours.
    const back = leg.answer(audio({ crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`] }));
    expect(back.crypto![0]).toMatch(/^1 AES_CM_128_HMAC_SHA1_80 inline:/);
    expect([leg.media, told]).toEqual(['srtp', ['secure', 'plain', 'secure']]);
  });

  it('offer: the far end answers our re-offer without a key: the leg is plain; require: a plain re-offer is refused, the keys stay', () => {
    const { told, leg } = recorded('offer');
    const ours = leg.offer();
    leg.answered(audio({ crypto: [ours.crypto![0]!.replace(/inline:\S+/, `inline:${KEY}`)] }));
    expect(leg.media).toBe('srtp');
    leg.answered(audio());
    expect([leg.media, told]).toEqual(['rtp', ['secure', 'plain']]);
    const strict = recorded('require');
    strict.leg.answer(savp(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect(() => strict.leg.answer(audio())).toThrow(expect.objectContaining({ refusal: 'srtp.required' }));
    expect([strict.leg.media, strict.told]).toEqual(['srtp', ['secure']]);
  });
});
