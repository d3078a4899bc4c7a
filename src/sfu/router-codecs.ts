// The codecs every call's router offers: opus, PCMU and PCMA for audio, VP8 and
// the H.264 profiles browsers here decode for video. mediasoup never transcodes:
// each participant receives audio in the codec it joined with.
import type { types as ms } from 'mediasoup';

/**
 * The H.264 profiles Debian's Chromium decodes (Constrained Baseline first, as
 * before, then Baseline, Main and the 'f4' profile it advertises), each in
 * packetization modes 1 and 0 so a SIP door station's video is forwarded as it
 * comes. No High profile: Chromium here does not decode it and mediasoup does
 * not transcode (docs/sip.md, "Door stations").
 */
export const H264_PROFILES = ['42e01f', '42001f', '4d001f', 'f4001f'] as const;

function h264Codecs(): ms.RouterRtpCodecCapability[] {
  return H264_PROFILES.flatMap((profile) => [1, 0].map((mode): ms.RouterRtpCodecCapability => ({
    kind: 'video', mimeType: 'video/H264', clockRate: 90000,
    parameters: { 'packetization-mode': mode, 'profile-level-id': profile, 'level-asymmetry-allowed': 1 },
  })));
}

export const ROUTER_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000 },
  { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  ...h264Codecs(),
];
