// Opening the door of the calling terminal, a domain operation of the call —
// the same for a desk button today and a DTMF code or a Teams page later.
// Allowed to the call's participants; anyone else needs door.unlock on the
// call's site. The unlock goes through the door outbox, the audit entry carries
// the call id, and the terminal is told the real progress: opening, then open
// only when the controller acknowledged, else failed.
import type { AuditLog } from '../audit/index.ts';
import type { DoorControl } from '../sites/index.ts';
import { ForbiddenError, InvalidError } from '../core/index.ts';
import type { Call } from './call.ts';

export type DoorState = 'opening' | 'open' | 'failed';
export type DoorOutcome = 'acknowledged' | 'timeout' | 'failed';

export interface DoorOpeningDeps {
  doors: DoorControl;
  audit: AuditLog;
  /** The door the terminal is bound to, or null. */
  doorOfTerminal(terminalId: string): Promise<string | null>;
  /** Whether a user who is not in the call may unlock the site's doors (door.unlock). */
  mayUnlock(userId: string, siteId: string): Promise<boolean>;
  /** How long the door stays unlocked. */
  seconds: number;
}

export async function openDoorOfCall(
  deps: DoorOpeningDeps, call: Call, userId: string, tell: (state: DoorState) => void,
): Promise<{ outcome: DoorOutcome }> {
  const actor = { type: 'user' as const, id: userId };
  const allowed = call.hasParticipant(userId) || (await deps.mayUnlock(userId, call.siteId));
  if (!allowed) {
    await deps.audit.append({ actor, action: 'door.open', outcome: 'denied', siteId: call.siteId, correlationId: call.id });
    throw new ForbiddenError('requires being in this call or permission door.unlock');
  }
  const doorId = await deps.doorOfTerminal(call.terminalId);
  if (!doorId) throw new InvalidError('the calling terminal has no door');
  const target = { type: 'door', id: doorId };
  tell('opening');
  try {
    const result = await deps.doors.unlock({ doorId, seconds: deps.seconds, issuedBy: actor, correlationId: call.id });
    const ok = result.outcome === 'acknowledged';
    await deps.audit.append({
      actor, action: 'door.open', target, outcome: ok ? 'ok' : 'failed', siteId: call.siteId, correlationId: call.id,
      details: { commandId: result.commandId, result: result.outcome },
    });
    tell(ok ? 'open' : 'failed');
    return { outcome: result.outcome };
  } catch (error) {
    await deps.audit.append({ actor, action: 'door.open', target, outcome: 'failed', siteId: call.siteId, correlationId: call.id, details: { reason: (error as Error).message } });
    tell('failed');
    throw error;
  }
}
