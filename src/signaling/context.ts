// What the signaling handlers share: the domain services they call into. Calls
// own their media; handlers reach it through the call service, per participant.
import type { Logger } from 'pino';
import type { CallService, CallRecords } from '../calls/index.ts';
import type { EntryPhotos, PhoneBook } from '../phonebook/index.ts';
import type { Roles } from '../access/index.ts';
import type { Credentials, Credential } from '../credentials/index.ts';
import type { Sites, WelcomeScreens } from '../sites/index.ts';
import type { Clock } from '../core/index.ts';
import type { DeskRegistry } from './desk-registry.ts';
import type { Payload, QualityEvents, KioskReport } from './contract.ts';
import type { AdminSources } from './admin-namespace.ts';

export interface SignalingDeps {
  calls: CallService;
  records: CallRecords;
  phonebook: PhoneBook;
  /** The entries' photos: which have one (their version), for the kiosk's search results. */
  photos: Pick<EntryPhotos, 'versions'>;
  roles: Roles;
  credentials: Credentials;
  sites: Sites;
  clock: Clock;
  logger: Logger;
  /** How long a disconnected party keeps its call (default 15 s). */
  graceMs: number;
  /** Largest event payload a client may send (bytes); larger ones are refused with invalid. */
  maxEventBytes: number;
  /** Connected desks and their presence (shared with the call service). */
  desks: DeskRegistry;
  /** Each site's kiosk start screen: whether its terminals may show employees' availability and the entries' photos. */
  welcome: Pick<WelcomeScreens, 'showsAvailability' | 'showsPhotos'>;
  /** Takes the pages' quality.report (the quality monitor); the answer is the leg's latest MOS. */
  quality: QualityReports;
  /** Each kiosk's health (src/terminals' KioskHealth): told when a terminal comes and goes, takes its terminal.health, asks for reloads. */
  kiosk: KioskPort;
  /** What the admin page's live updates (/admin) listen to besides calls and credentials: audit log, call quality, devices, kiosks. */
  admin: AdminSources;
}

/** Kiosk health as signaling needs it (src/terminals' KioskHealth). */
export interface KioskPort {
  connected(terminal: Credential): void;
  disconnected(terminalId: string): void;
  report(terminalId: string, report: KioskReport): { nextMs: number; deviceCheckMs: number };
  on(event: 'reload', listener: (terminalId: string) => void): unknown;
  off(event: 'reload', listener: (terminalId: string) => void): unknown;
}

/** The quality monitor as signaling needs it (src/quality's QualityMonitor.report). */
export interface QualityReports {
  report(callId: string, participantId: string, report: Omit<Payload<typeof QualityEvents['quality.report']>, 'callId'>): {
    mos: number | null; level: 'good' | 'fair' | 'poor' | null; intervalMs: number;
  };
}

export interface SignalingContext extends SignalingDeps {
  terminalInfo(terminalId: string): Promise<Credential | undefined>;
}
