// Door control for call tests that do not reach a controller: none at all, or
// one that records each unlock and answers with a chosen outcome.
import type { DoorOpeningDeps } from '../../src/calls/index.ts';
import type { DoorControl, UnlockRequest, UnlockResult } from '../../src/sites/index.ts';
import type { AuditLog } from '../../src/audit/index.ts';

export class RecordingDoors implements DoorControl {
  readonly requests: UnlockRequest[] = [];
  outcome: UnlockResult['outcome'] = 'acknowledged';

  async unlock(request: UnlockRequest): Promise<UnlockResult> {
    this.requests.push(request);
    return { commandId: `cmd-${this.requests.length}`, outcome: this.outcome };
  }
}

/** Terminals bound to door-1 (terminal-door) or to no door; nobody holds door.unlock. */
export function noDoors(s: { audit: AuditLog }): DoorOpeningDeps {
  return {
    doors: { unlock: async () => { throw new Error('no door controller in this test'); } },
    audit: s.audit, seconds: 5,
    doorOfTerminal: async (terminalId) => (terminalId === 'terminal-door' ? 'door-1' : null),
    mayUnlock: async () => false,
  };
}
