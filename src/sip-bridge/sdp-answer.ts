// Our G.711 answer laid out on the far end's offer (RFC 3264 §6): the answer has
// exactly the offer's m-lines in the offer's order — the audio stream readAnswer
// took carries our audio section, every other one (a door station's or video
// phone's video, a second audio) is refused with port 0 and one of its formats.
import type { AudioCodec } from '../calls/index.ts';
import { readAnswer, type AudioAnswer, type AudioOffer } from './sdp.ts';
import { isG711 } from './audio-codecs.ts';

/**
 * What our answer repeats of the offer it answers (RFC 3264 §6.1): opus at the offer's payload
 * type (a dynamic one: G.711's static numbers stay ours), and its telephone-event with its rate.
 */
export function answerFormats(offer: AudioAnswer): Pick<AudioOffer, 'payloadTypes' | 'telephoneEvents'> {
  return {
    ...(isG711(offer.codec) ? {} : { payloadTypes: { [offer.codec]: offer.payloadType } }),
    ...(offer.telephoneEvent === undefined ? {} : { telephoneEvents: [{ payloadType: offer.telephoneEvent, rate: offer.telephoneEventRate! }] }),
  };
}

interface Split { session: string[]; media: string[][] }

function split(sdp: string): Split {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const first = lines.findIndex((l) => l.startsWith('m='));
  const session = first < 0 ? lines : lines.slice(0, first);
  const media: string[][] = [];
  for (const line of first < 0 ? [] : lines.slice(first)) {
    if (line.startsWith('m=')) media.push([line]);
    else media.at(-1)!.push(line);
  }
  return { session, media };
}

/** `m=<media> 0 <proto> <first format>`: a refused stream (RFC 3264 §6). */
function refused(mLine: string): string {
  const [media, , proto, ...formats] = mLine.slice(2).trim().split(/\s+/);
  return `m=${media} 0 ${proto ?? 'RTP/AVP'} ${formats[0] ?? '0'}`;
}

/**
 * `audio` (our SDP with one audio section, from writeOffer) laid on `offer`'s
 * m-lines; unchanged when the offer has that one audio stream only. `video`: our
 * section for the offer's first video stream (a station's, taken); else refused too.
 */
export function answerOnOffer(offer: string, audio: string, codecs: readonly AudioCodec[], video?: readonly string[]): string {
  const theirs = split(offer);
  if (theirs.media.length <= 1) return audio;
  // A door station's video taken (station-video.ts): our section answers its first video stream with a port.
  const videoAt = video ? theirs.media.findIndex((section) => /^m=video [1-9]/.test(section[0]!)) : -1;
  const ours = split(audio);
  const taken = theirs.media.findIndex((section) => {
    try {
      readAnswer([...theirs.session, ...section].join('\r\n'), codecs);
      return true;
    } catch {
      return false;
    }
  });
  const media = theirs.media.map((section, i) => (i === taken ? ours.media.flat() : i === videoAt ? [...video!] : [refused(section[0]!)]));
  return [...ours.session, ...media.flat()].join('\r\n') + '\r\n';
}
