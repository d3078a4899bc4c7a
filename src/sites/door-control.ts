// How the rest of Portier opens a door: the device hub implements this interface
// (commands through its outbox to the door controller); callers such as the desk
// softphone's "Open door" button depend only on it.
import type { Actor } from '../audit/index.ts';

export interface UnlockRequest {
  doorId: string;
  /** How long the controller keeps the door unlocked before it relocks by itself. */
  seconds: number;
  issuedBy: Actor;
  /** e.g. the call id, written to the audit log with the command. */
  correlationId?: string;
}

export interface UnlockResult {
  commandId: string;
  /** acknowledged: the door confirmed; timeout: no acknowledgement in time; failed: refused or expired. */
  outcome: 'acknowledged' | 'timeout' | 'failed';
}

export interface DoorControl {
  unlock(request: UnlockRequest): Promise<UnlockResult>;
}
