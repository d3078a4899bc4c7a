// What the call service needs from the outside, as interfaces the composition
// root fills in: who is at a desk right now, who belongs to a group, who may answer.
import type { AuditEntry } from '../audit/index.ts';

/** Where the call service audits its own changes (transfers, colleagues added); the AuditLog in the gateway. */
export interface CallAudit {
  append(entry: AuditEntry): Promise<void>;
}

export interface DeskPresence {
  /** Connected with presence "available" (busy in a call is tracked by the call service). */
  isAvailable(userId: string): boolean;
}

export interface Directory {
  /** Users holding the role on the site (assignments for every site count too). */
  members(roleId: string, siteId: string): Promise<string[]>;
  /** Whether the user holds call.answer on the site. */
  mayAnswer(userId: string, siteId: string): Promise<boolean>;
  /** Whether the user holds call.transfer on the site (absent: nobody may transfer). */
  mayTransfer?(userId: string, siteId: string): Promise<boolean>;
}

export interface CallRecorder {
  started(info: import('./types.ts').CallInfo): Promise<void>;
  ended(info: import('./types.ts').CallInfo): Promise<void>;
  /** Whether a call with this id was ever recorded (an ended call answers conflict, not not-found). */
  exists(callId: string): Promise<boolean>;
}

/** A site's opening hours (Sites answers it): whether it is open at a time, and its after-hours route. */
export interface OpeningHoursPort {
  openAt(siteId: string, at: number): Promise<{ open: boolean; afterHoursEntryId: string | null }>;
}
