// The SIP bridge's parts the gateway builds: the legs to telephones, the admin page's accounts, the door
// stations' registrar, and the calls from the PBX and the stations wired to the call service.
import type { AuditLog } from '../audit/index.ts';
import type { Credential, Credentials } from '../credentials/index.ts';
import type { CallService } from '../calls/index.ts';
import type { PhoneBook } from '../phonebook/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { SignalingServer } from '../signaling/index.ts';
import type { Store } from '../store/index.ts';
import type { DoorStations } from '../terminals/index.ts';
import type { TlsProvider } from '../tls/index.ts';
import { H264_PROFILES } from '../sfu/index.ts';
import { type SipBridge, SipLegDriver, InboundCalls, StationEndpoint, SipAccountAdmin, SipAccountStore, sipSettings, stationSettings } from '../sip-bridge/index.ts';
import type { StartContext } from './start-context.ts';

/** Calls from terminals to telephones (src/sip-bridge/sip-leg.ts). `sessionMinSeconds`: the session timer's floor. */
export function sipLegDriver(ctx: StartContext, sip: SipBridge, audit: AuditLog, sessionMinSeconds: number): SipLegDriver {
  const { config, logger, clock } = ctx;
  return new SipLegDriver({ account: (id) => sip.account(id), bindAddress: config.sip.bind_address, rtpPorts: { min: config.sip.rtp_port_min, max: config.sip.rtp_port_max }, rtpTimeoutMs: config.sip.rtp_timeout_seconds * 1000, sessionMinSeconds, clock, logger: logger.child({ component: 'sip' }), audit: (entry) => audit.append(entry) });
}

export interface SipAccountsDeps {
  store: Store;
  audit: AuditLog;
  /** The master key's sealer (the accounts' passwords). */
  box: SecretBox;
  sip: SipBridge;
  phonebook: PhoneBook;
  credentials: Credentials;
}

export async function buildSipAccounts(ctx: StartContext, deps: SipAccountsDeps): Promise<SipAccountAdmin> {
  const { config, logger, clock, step, closers } = ctx;
  const { store, audit, box, sip, phonebook, credentials } = deps;
  // The admin page's SIP accounts (src/sip-bridge/account-admin.ts): passwords sealed under the master key; the enabled ones join the bridge before it starts, changes apply live.
  const sipAccounts: SipAccountAdmin = new SipAccountAdmin({
    store: new SipAccountStore({ store, audit, clock, box }), bridge: sip, sip: config.sip, logger: logger.child({ component: 'sip' }),
    routesThrough: (id): string[] => phonebook.routingThrough(id).map((e) => e.name),
    targets: {
      entry: (id): boolean => phonebook.find(id) !== undefined,
      entryWithin: async (id, within): Promise<boolean> => await phonebook.siteOfEntry(id, within) !== undefined,
      terminal: async (id): Promise<boolean> => { const c = await credentials.get(id); return c?.kind === 'terminal' && c.revokedAt === null; },
    },
  });
  await step('sip-accounts', () => sipAccounts.load());
  // A revoked terminal is reached by no inbound number: the accounts drop those numbers (queued before the revocation's answer).
  const onTerminalRevoked = (c: Credential): void => {
    if (c.kind === 'terminal') void sipAccounts.releaseTerminal({ type: 'system', id: 'credential.revoke' }, c.id).catch((error: unknown) => logger.error({ err: error, terminal: c.id }, 'sip: dropping a revoked terminal\'s inbound numbers failed'));
  };
  credentials.on('revoked', onTerminalRevoked);
  closers.push({ name: 'sip-accounts-revoked', close: () => { credentials.off('revoked', onTerminalRevoked); } });
  return sipAccounts;
}

/** undefined unless sip.stations.enabled. */
export function buildStationEndpoint(ctx: StartContext, tls: TlsProvider, doorStations: DoorStations): StationEndpoint | undefined {
  const { config, logger, clock } = ctx;
  // Portier as the stations' registrar on their own socket (sip.stations; src/sip-bridge/station-endpoint.ts), started with the SIP accounts.
  const stationConfig = stationSettings(config);
  const stationEndpoint = stationConfig && new StationEndpoint({
    settings: stationConfig, sip: sipSettings(config), clock, logger: logger.child({ component: 'sip' }), certificate: tls,
    directory: { credentialsOf: (user) => { const c = doorStations.credentialsOf(user); return c && { stationId: c.station.id, secret: c.secret }; } },
  });
  if (stationEndpoint) doorStations.on('changed', (c) => { if (c.identity) stationEndpoint.registrar.forget(c.id); });
  return stationEndpoint;
}

export interface InboundCallsDeps {
  calls: CallService;
  signaling: SignalingServer;
  audit: AuditLog;
  sip: SipBridge;
  stationEndpoint: StationEndpoint | undefined;
  doorStations: DoorStations;
  phonebook: PhoneBook;
  /** The session timer's floor (sip.session_timer.min_seconds, or a test's). */
  sessionMinSeconds: number;
}

/** Also pushes the bridge's and the stations' closers, then the inbound calls' (closed before both). */
export function wireInboundCalls(ctx: StartContext, deps: InboundCallsDeps): InboundCalls {
  const { config, logger, clock, closers } = ctx;
  const { calls, signaling, audit, sip, stationEndpoint, doorStations, phonebook, sessionMinSeconds } = deps;
  // -- SIP bridge wiring (src/sip-bridge): binds each account's socket; REGISTER outcomes arrive as state events --
  closers.push({ name: 'sip', close: () => sip.close() });
  if (stationEndpoint) closers.push({ name: 'door-stations', close: () => stationEndpoint.close() });
  // Calls from the PBX (src/sip-bridge/sip-inbound.ts): a number's phone-book entry rings the desks; closed before the accounts.
  const inbound = new InboundCalls({
    calls: {
      startFromPhone: (phone, entryId, observe) => calls.startFromPhone(phone, entryId, observe),
      hangup: (callId, participantId) => calls.hangup(callId, participantId),
      endCall: (callId, reason) => calls.endCall(callId, reason),
      // A terminal that answers by itself must be connected: signaling knows, and tells the kiosk (call.started).
      callTerminal: (phone, terminalId, callerName, observe) => signaling.callTerminalFromPhone(phone, terminalId, callerName, observe),
      // The PBX moves its caller to another extension (REFER in the call's dialog, src/sip-bridge/refer-in.ts).
      moveCaller: (callId, participantId, route, caller, replaces) => calls.moveFromPhone(callId, participantId, route, caller, replaces),
    },
    audit: (entry) => audit.append(entry),
    terminalOf: (accountId, dialled) => sip.account(accountId)?.inboundTerminal(dialled),
    bindAddress: config.sip.bind_address, rtpPorts: { min: config.sip.rtp_port_min, max: config.sip.rtp_port_max }, logger: logger.child({ component: 'sip' }), lateOfferCodec: `audio/${config.sip.late_offer_codec}`,
    clock, sessionMinSeconds,
    entryOf: (accountId, dialled) => sip.account(accountId)?.inboundEntry(dialled),
    videoEntries: H264_PROFILES.flatMap((profile) => ([1, 0] as const).map((mode) => ({ profile, mode }))),
  });
  sip.on('invite', (incoming, account) => inbound.take(incoming, account));
  // A door station's button: its entry (else the site's reception) rings like a terminal's call, with its H.264 video.
  stationEndpoint?.on('invite', (incoming) => {
    const station = doorStations.find(incoming.stationId);
    const entryId = station && (station.entryId ?? phonebook.reception(station.siteId)?.id);
    if (!station || !entryId) return void incoming.invitation.reject({ statusCode: 404 }).catch(() => undefined);
    inbound.take(incoming, stationEndpoint, { stationId: station.id, entryId, video: true, door: station.relay.way === 'sip-info' || station.doorId !== null });
  });
  closers.push({ name: 'sip-inbound', close: () => inbound.close() });
  return inbound;
}
