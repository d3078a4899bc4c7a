// The call service and what it is built from: the calling terminal's door, the desks' directory, the media
// through the SFU's workers (with the G.711 mixes' budget), and the telephone legs and transfers of the SIP bridge.
import type { AuditLog } from '../audit/index.ts';
import type { Config } from '../config/index.ts';
import type { Credentials } from '../credentials/index.ts';
import type { DeviceHub } from '../device-hub/index.ts';
import type { PhoneBook } from '../phonebook/index.ts';
import type { QualityMonitor } from '../quality/index.ts';
import type { Roles } from '../access/index.ts';
import type { Sites } from '../sites/index.ts';
import type { DeskRegistry } from '../signaling/index.ts';
import type { DoorStations, DoorStation } from '../terminals/index.ts';
import { CallService, type CallRecords, type CallerRelay } from '../calls/index.ts';
import { SfuMediaPort, MixBudget, type WorkerPool } from '../sfu/index.ts';
import { SipReferrer, type InboundCalls, type InboundSipCall, type SipLegDriver } from '../sip-bridge/index.ts';
import type { StartContext } from './start-context.ts';

export interface CallServiceDeps {
  phonebook: PhoneBook;
  desks: DeskRegistry;
  records: CallRecords;
  audit: AuditLog;
  quality: QualityMonitor;
  sfu: WorkerPool;
  sites: Sites;
  roles: Roles;
  credentials: Credentials;
  deviceHub: DeviceHub;
  doorStations: DoorStations;
  sipLegs: SipLegDriver;
  /** The calls from the PBX and the door stations, built after the call service (asked only once calls run). */
  inbound: Pick<InboundCalls, 'byParticipant'>;
}

export function buildCallService(ctx: StartContext, deps: CallServiceDeps): CallService {
  const { config, logger, clock } = ctx;
  const { phonebook, desks, records, audit, quality, sfu, sites, roles, credentials, deviceHub, doorStations, sipLegs, inbound } = deps;
  // Opening the calling terminal's door is the call's own operation (participant or door.unlock, outbox, audit).
  const door = {
    doors: deviceHub.doorControl, audit, seconds: config.calls.door_open_seconds,
    clock, relayTimeoutMs: config.sip.stations.relay_timeout_seconds * 1000,
    // A door station's call: the station's door (its relay way mqtt), or its own relay (sip-info) through the call's dialog.
    doorOfTerminal: async (terminalId: string): Promise<string | null> => (await credentials.get(terminalId))?.doorId ?? stationOfCaller(terminalId)?.doorId ?? null,
    mayUnlock: (userId: string, siteId: string) => roles.can({ type: 'user', id: userId }, 'door.unlock', siteId),
    callerRelay: (terminalId: string): CallerRelay | undefined => {
      const station = stationOfCaller(terminalId);
      const call: InboundSipCall | undefined = inbound.byParticipant(terminalId);
      if (!station || !call || station.relay.way !== 'sip-info') return undefined;
      const code = station.relay.code;
      return { stationId: station.id, open: (signal) => call.sendDtmfInfo(code, signal) };
    },
  };
  const stationOfCaller = (participantId: string): DoorStation | undefined => {
    const stationId: string | undefined = inbound.byParticipant(participantId)?.stationId;
    return stationId === undefined ? undefined : doorStations.find(stationId);
  };
  const calls = new CallService({
    phonebook, presence: desks, recorder: records, door, audit, media: quality.watch(new SfuMediaPort(sfu, mixOptionsOf(config))), clock, hours: sites, options: { queueTimeoutS: config.calls.queue_timeout_seconds, callbackMaxS: config.calls.callback_max_seconds, callbackOutsideHours: config.calls.callback_outside_hours, ringingPreview: (siteId) => config.calls.ringing_preview_sites.includes(siteId) },
    directory: {
      members: (roleId, siteId) => roles.members(roleId, siteId),
      mayAnswer: (userId, siteId) => roles.can({ type: 'user', id: userId }, 'call.answer', siteId),
      mayTransfer: (userId, siteId) => roles.can({ type: 'user', id: userId }, 'call.transfer', siteId),
    },
    // A phone-book route of type sip rings through the SIP bridge's account (src/sip-bridge/sip-leg.ts).
    phoneLegs: [sipLegs],
    // A desk's transfer of a PBX caller to an extension of its PBX goes by REFER (src/sip-bridge/refer-out.ts).
    phoneTransfer: new SipReferrer({
      leg: (participantId: string): InboundSipCall | undefined => inbound.byParticipant(participantId), timeoutMs: config.sip.refer_timeout_seconds * 1000, clock, logger: logger.child({ component: 'sip' }),
    }),
  });
  return calls;
}

/** The G.711 mixes' limits and buffers (rtc.mix): one budget for the whole process. */
function mixOptionsOf(config: Config) {
  const mix = config.rtc.mix;
  return {
    maxParticipants: mix.max_participants, budget: new MixBudget(mix.max_mixes_per_process),
    settings: { depthFrames: mix.buffer_packets, dropAfterFrames: Math.ceil(mix.source_timeout_ms / 20) },
  };
}
