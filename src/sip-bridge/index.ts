// SIP PBX bridge (sip.js signalling over the project's own UDP transport; media
// through mediasoup plain RTP comes with calls). Until a PBX is configured it
// reports itself disabled in /ready.
import { disabledComponent, type StatusSource } from '../lifecycle/index.ts';

export { UdpTransport, type UdpTransportOptions } from './udp-transport.ts';
export { DEFAULT_TIMERS, type SipTimers } from './transactions.ts';

export function createSipBridge(): StatusSource {
  return disabledComponent('sip', 'no PBX configured');
}
