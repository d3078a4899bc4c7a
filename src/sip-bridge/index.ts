// SIP PBX bridge (sip.js signalling over the project's own UDP transport; media
// through mediasoup plain RTP comes with calls). Without accounts it reports itself
// disabled in /ready.
export { SipBridge, type SipBridgeEvents, type SipBridgeOptions } from './sip-bridge.ts';
export { SipAccount, type IncomingCall, type SipAccountStatus, type RegistrationState, type FailureReason, type BindingOutcome } from './sip-account.ts';
export { SipAccountStore, type StoredSipAccount, type StoredInbound, type PasswordSealer } from './account-store.ts';
export { SipAccountAdmin, type SipAccountInput, type SipAccountListing } from './account-admin.ts';
export { SipMetrics, type SipMetricsDeps } from './sip-metrics.ts';
export { sipSettings, stationSettings, parseHostPort, type SipSettings, type SipAccountSettings, type InboundSettings, type TerminalTarget } from './settings.ts';
export { UdpTransport, type UdpTransportOptions } from './udp-transport.ts';
export { DEFAULT_TIMERS, type SipTimers } from './transactions.ts';
export { SipLeg, outcomeOf, OFFERED_CODECS } from './sip-leg.ts';
export { SipLegDriver, type SipLegDriverOptions, type SipLegDriverEvents } from './sip-leg-driver.ts';
export { DtmfWay, type DtmfVia } from './dtmf-way.ts';
export { readDtmfInfo, DTMF_INFO_TYPES, type DtmfInfo } from './dtmf-info.ts';
export { readTelephoneEvent, TelephoneEventReceiver, type TelephoneEvent } from './telephone-event.ts';
export { RtpRelay, type RtpRelayCounters, type RtpPortRange, type MediaLatch } from './rtp-relay.ts';
export { writeOffer, readAnswer, answerDirection, type AudioOffer, type AudioAnswer, type Direction } from './sdp.ts';
export { G711_CODECS, OPUS_PT, TELEPHONE_EVENT_PT, codecsOf, codecsToOffer, producerCodec, telephoneEventsToOffer, type CodecName, type TelephoneEventFormat } from './audio-codecs.ts';
export { answerFormats } from './sdp-answer.ts';
export { readVideoOffer, h264ProducerParameters, type H264Entry, type H264Format, type VideoOffer, type VideoVerdict } from './video-sdp.ts';
export { InboundGuard, DEFAULT_INBOUND_LIMITS, type InboundLimits, type InboundTrunk, type AcceptedInvite, type GuardVerdict, type InboundCounters } from './inbound-guard.ts';
export { DigestServer, parseAuthorization, type DigestCredentials } from './digest.ts';
export { DigestGate, rewriteRequestUser, type DigestGateOptions, type DigestResult } from './digest-gate.ts';
export { InboundCalls, type InboundCallsOptions, type InboundCallsEvents, type PhoneCallPort } from './sip-inbound.ts';
export { InboundSipCall } from './inbound-sip-call.ts';
export { StreamTransport, type StreamTransportOptions, type StreamProtocol, type StreamTlsOptions } from './stream-transport.ts';
export { StreamFramer, type Frame } from './stream-framing.ts';
export { StationEndpoint, type StationCall, type StationSettings, type StationEndpointEvents } from './station-endpoint.ts';
export { StationRegistrar, type StationDirectory, type StationBinding, type StationInvite, type StationInvitation, type StationRegistrarEvents } from './station-registrar.ts';
export { SrtpSender, SrtpReceiver, ReplayWindow, REPLAY_WINDOW, estimateRoc, type SrtpDrops } from './srtp.ts';
export { aesCmKeystream, deriveSessionKeys, packetIv, randomMasterKey, SRTP_SUITES, type SrtpSuite, type SrtpMasterKey, type SessionKeys } from './srtp-keys.ts';
export { readCrypto, writeCrypto, type SdesKey, type SdesRead, type SdesRefusal } from './sdes.ts';
export { LegSecurity, SrtpRefusedError, answerOffer, acceptAnswer, makeOffer, type SrtpMode, type SrtpPolicy, type SrtpKeys, type SrtpRefusal, type LegMedia, type Negotiated, type CryptoFields } from './media-security.ts';
export { SipReferrer, referSession, sipfragStatus, type ReferableLeg, type SipReferrerOptions } from './refer-out.ts';
