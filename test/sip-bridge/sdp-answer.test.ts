// Our answer keeps the offer's m-lines (RFC 3264 §6): the taken audio carries our
// section, anything else is refused with port 0, in the offer's order.
import { describe, expect, it } from 'vitest';
import { answerOnOffer } from '../../src/sip-bridge/sdp-answer.ts';
import { writeOffer } from '../../src/sip-bridge/sdp.ts';

const ours = writeOffer({ address: '127.0.0.1', rtpPort: 42000, rtcpPort: 42001, codecs: ['audio/PCMA'], sessionId: '1', version: 1 });
const mLines = (sdp: string) => sdp.split('\r\n').filter((l) => l.startsWith('m='));
const offer = (...media: string[][]) => ['v=0', 'o=x 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...media.flat(), ''].join('\r\n');
const AUDIO = ['m=audio 30000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000'];
const VIDEO = ['m=video 30002 RTP/AVP 96 97', 'a=rtpmap:96 H264/90000', 'a=rtpmap:97 H264/90000'];

describe('answerOnOffer', () => {
  it('an audio-only offer gets our SDP unchanged', () => {
    expect(answerOnOffer(offer(AUDIO), ours, ['audio/PCMA'])).toBe(ours);
  });

  it('audio and video: the video is refused with port 0 and its first format, after our audio section', () => {
    const answer = answerOnOffer(offer(AUDIO, VIDEO), ours, ['audio/PCMA']);
    expect(mLines(answer)).toEqual(['m=audio 42000 RTP/AVP 8', 'm=video 0 RTP/AVP 96']);
    expect(answer.split('\r\n').slice(0, 5)).toEqual(ours.split('\r\n').slice(0, 5));
    expect(answer).toContain('a=rtpmap:8 PCMA/8000');
    expect(answer.endsWith('\r\n')).toBe(true);
  });

  it('video first, then an unusable audio (opus only), then G.711: the order is kept and only the G.711 stream is taken', () => {
    const opus = ['m=audio 30004 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2'];
    const answer = answerOnOffer(offer(VIDEO, opus, AUDIO), ours, ['audio/PCMA']);
    expect(mLines(answer)).toEqual(['m=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 111', 'm=audio 42000 RTP/AVP 8']);
  });
});
