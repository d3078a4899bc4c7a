// What the signaling handlers share: the domain services they call into and the
// per-call media the signaling server keeps.
import type { Logger } from 'pino';
import type { CallService, CallRecords, Call, CallMedia, MediaPort } from '../calls/index.ts';
import type { PhoneBook } from '../phonebook/index.ts';
import type { Roles } from '../access/index.ts';
import type { Credentials, Credential } from '../credentials/index.ts';
import type { Sites, DoorControl } from '../sites/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../core/index.ts';
import { ForbiddenError, UnavailableError } from '../core/index.ts';
import type { DeskRegistry } from './desk-registry.ts';

export interface SignalingDeps {
  calls: CallService;
  records: CallRecords;
  phonebook: PhoneBook;
  /** Opens the media of a call (the SFU). */
  mediaPort: MediaPort;
  roles: Roles;
  credentials: Credentials;
  sites: Sites;
  doors: DoorControl;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** How long a disconnected party keeps its call (default 15 s). */
  graceMs: number;
  /** How long a door opened from a call stays unlocked. */
  doorOpenSeconds: number;
  /** Connected desks and their presence (shared with the call service). */
  desks: DeskRegistry;
}

export interface SignalingContext extends SignalingDeps {
  media: Map<string, CallMedia>;
  /** Media of a call the given check allows; throws a named error otherwise. */
  mediaOf(callId: string, allowed: (call: Call) => boolean): CallMedia;
  terminalInfo(terminalId: string): Promise<Credential | undefined>;
}

export function makeMediaOf(calls: CallService, media: Map<string, CallMedia>) {
  return (callId: string, allowed: (call: Call) => boolean): CallMedia => {
    const call = calls.get(callId);
    if (!allowed(call)) throw new ForbiddenError('not your call');
    const m = media.get(callId);
    if (!m || m.closed) throw new UnavailableError('the call has no media');
    return m;
  };
}
