// The video half of a SIP door station's offer (issue 13, slice 3): which of its
// H.264 formats the call's router can forward as it comes (no transcoding), and
// the mediasoup RTP parameters of the plain-RTP video producer that carries it.
// A station that offers only what the router lacks (High profile, another codec)
// is told apart by name, so the call goes on audio-only and the log says why.

/** One H.264 entry of the router: profile-level-id (6 hex digits) and packetization mode. */
export interface H264Entry { profile: string; mode: 0 | 1 }

export interface H264Format extends H264Entry {
  payloadType: number;
  /** The station's own profile-level-id (its level may differ from the router entry's: level-asymmetry-allowed). */
  profileLevelId: string;
}

export interface VideoOffer {
  /** Where the station wants video (the media's c=, else the session's). */
  address: string;
  rtpPort: number;
  /** a=rtcp if given, else rtpPort + 1; rtpPort with rtcp-mux. */
  rtcpPort: number;
  rtcpMux: boolean;
  /** The first of its H.264 formats the router forwards. */
  format: H264Format;
}

/** What a station's offer means for its video. */
export type VideoVerdict =
  | { kind: 'video'; offer: VideoOffer }
  | { kind: 'none' }
  | { kind: 'unsupported'; reason: 'high-profile' | 'no-h264'; offered: string[] };

interface MediaSection { kind: string; port: number; formats: number[]; lines: string[] }

function sections(sdp: string): { session: string[]; media: MediaSection[] } {
  const session: string[] = [];
  const media: MediaSection[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^m=(\w+) (\d+)(?:\/\d+)? [\w/]+ ?(.*)$/.exec(line);
    if (m) {
      media.push({ kind: m[1]!, port: Number(m[2]), formats: m[3]!.split(' ').filter(Boolean).map(Number), lines: [] });
    } else if (media.length > 0) {
      media.at(-1)!.lines.push(line);
    } else {
      session.push(line);
    }
  }
  return { session, media };
}

const connection = (lines: string[]): string | undefined => lines.map((l) => /^c=IN IP[46] ([^\s/]+)/.exec(l)?.[1]).find(Boolean);

function fmtpOf(lines: string[], pt: number): Record<string, string> {
  const line = lines.find((l) => l.startsWith(`a=fmtp:${pt} `));
  const params: Record<string, string> = {};
  for (const part of (line?.slice(`a=fmtp:${pt} `.length) ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k) params[k.toLowerCase()] = (v ?? '').trim();
  }
  return params;
}

/** profile_idc and the constraint flags that tell Constrained Baseline (42e0…) from Baseline (4200…): RFC 6184 §8.1. */
function sameProfile(a: string, b: string): boolean {
  const idc = (s: string) => s.slice(0, 2).toLowerCase();
  if (idc(a) !== idc(b)) return false;
  if (idc(a) !== '42') return true;
  const constrained = (s: string) => (parseInt(s.slice(2, 4), 16) & 0x40) !== 0;
  return constrained(a) === constrained(b);
}

/**
 * Reads the video stream of a station's SDP: the first video m-line with a
 * non-zero port, and its first H.264 format (offer order) that matches a router
 * entry by profile and packetization mode (RFC 6184: a missing mode is 0, a
 * missing profile-level-id is 42000a).
 */
export function readVideoOffer(sdp: string, entries: readonly H264Entry[]): VideoVerdict {
  const { session, media } = sections(sdp);
  const video = media.find((m) => m.kind === 'video' && m.port > 0);
  if (!video) return { kind: 'none' };
  const offered: string[] = [];
  for (const pt of video.formats) {
    const rtpmap = video.lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
    if (!rtpmap || !/^a=rtpmap:\d+ H264\/90000/i.test(rtpmap)) {
      if (rtpmap) offered.push(rtpmap.slice(`a=rtpmap:${pt} `.length));
      continue;
    }
    const fmtp = fmtpOf(video.lines, pt);
    const profileLevelId = (fmtp['profile-level-id'] ?? '42000a').toLowerCase();
    const mode = Number(fmtp['packetization-mode'] ?? 0);
    offered.push(`H264 ${profileLevelId} mode ${mode}`);
    const entry = entries.find((e) => e.mode === mode && sameProfile(e.profile, profileLevelId));
    if (!entry) continue;
    const address = connection(video.lines) ?? connection(session);
    if (!address) return { kind: 'unsupported', reason: 'no-h264', offered };
    const rtcpMux = video.lines.includes('a=rtcp-mux');
    const rtcp = video.lines.map((l) => /^a=rtcp:(\d+)/.exec(l)?.[1]).find(Boolean);
    return {
      kind: 'video',
      offer: {
        address, rtpPort: video.port, rtcpMux,
        rtcpPort: rtcpMux ? video.port : rtcp ? Number(rtcp) : video.port + 1,
        format: { ...entry, payloadType: pt, profileLevelId },
      },
    };
  }
  // High, High 10, High 4:2:2 (profile_idc 100, 110, 122): Chromium here decodes none of them.
  const high = offered.some((o) => /^H264 (64|6e|7a)/.test(o));
  return { kind: 'unsupported', reason: high ? 'high-profile' : 'no-h264', offered };
}

/** The RTP parameters of the station's video producer (one SSRC: the relay in front of it rewrites the station's). */
export function h264ProducerParameters(format: H264Format, ssrc: number): {
  codecs: Array<{ mimeType: string; payloadType: number; clockRate: number; parameters: Record<string, string | number>; rtcpFeedback: Array<{ type: string; parameter?: string }> }>;
  encodings: Array<{ ssrc: number }>;
} {
  return {
    codecs: [{
      mimeType: 'video/H264', payloadType: format.payloadType, clockRate: 90000,
      parameters: { 'packetization-mode': format.mode, 'profile-level-id': format.profileLevelId, 'level-asymmetry-allowed': 1 },
      // What a station answers keyframe requests with (a PLI from a desk that joins mid-stream).
      rtcpFeedback: [{ type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    }],
    encodings: [{ ssrc }],
  };
}
