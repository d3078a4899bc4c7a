// SIP PBX bridge (sip.js signalling, media through mediasoup plain RTP). Its own
// issue builds it; until a PBX is configured it reports itself disabled in /ready.
import { disabledComponent, type StatusSource } from '../lifecycle/index.ts';

export function createSipBridge(): StatusSource {
  return disabledComponent('sip', 'no PBX configured');
}
