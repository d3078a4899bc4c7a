// Opening the door of the calling terminal, a domain operation of the call —
// the same for a desk button, a DTMF door code and a Teams page later.
// Allowed to the call's participants; anyone else needs door.unlock on the
// call's site; a door code only to the telephone that answered the call. The unlock goes through the door outbox, the audit entry carries
// the call id, and the terminal is told the real progress: opening, then open
// only when the controller acknowledged, else failed. One opening runs per call
// at a time: a press while one is under way (two desks, a double click) gets its
// outcome instead of a second command (a station reading its code from SIP INFO
// would see the keys interleaved).
import type { Actor, AuditLog } from '../audit/index.ts';
import type { DoorControl } from '../sites/index.ts';
import { ForbiddenError, InvalidError, type Clock } from '../core/index.ts';
import type { Call } from './call.ts';

export type DoorState = 'opening' | 'open' | 'failed';
export type DoorOutcome = 'acknowledged' | 'timeout' | 'failed';

/**
 * A door station's own relay, opened in the call's dialog (SIP INFO keys). `signal` aborts once the
 * opening counts as failed: no further key goes out, so a station never opens after the desk was told
 * "failed" (review s22 #14).
 */
export interface CallerRelay { stationId: string; open(signal?: AbortSignal): Promise<boolean> }

export interface DoorOpeningDeps {
  doors: DoorControl;
  audit: AuditLog;
  /** The door the terminal is bound to, or null. */
  doorOfTerminal(terminalId: string): Promise<string | null>;
  /** Whether a user who is not in the call may unlock the site's doors (door.unlock). */
  mayUnlock(userId: string, siteId: string): Promise<boolean>;
  /** How long the door stays unlocked. */
  seconds: number;
  /**
   * A caller that opens its own relay (a SIP door station with relay way sip-info): Open door goes to it
   * instead of a door controller. `open` resolves whether the station took the command.
   */
  callerRelay?(terminalId: string): CallerRelay | undefined;
  /** How long a caller's relay may take to answer before the opening counts as failed (sip.stations.relay_timeout_seconds). */
  relayTimeoutMs?: number;
  /** The timer of that bound. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/** What an opening opened: its outcome and the door or station its audit entry names. */
type Opened = { outcome: DoorOutcome; target: { type: string; id: string } };

/** The opening under way per call id (the call service owns it): a second press joins it. */
export type OpeningsInFlight = Map<string, Promise<Opened>>;

export async function openDoorOfCall(
  deps: DoorOpeningDeps, call: Call, userId: string, tell: (state: DoorState) => void, inFlight: OpeningsInFlight = new Map(),
): Promise<{ outcome: DoorOutcome }> {
  const actor = { type: 'user' as const, id: userId };
  const allowed = call.hasParticipant(userId) || (await deps.mayUnlock(userId, call.siteId));
  if (!allowed) {
    await deps.audit.append({ actor, action: 'door.open', outcome: 'denied', siteId: call.siteId, correlationId: call.id });
    throw new ForbiddenError('requires being in this call or permission door.unlock');
  }
  return once(inFlight, call, () => unlockDoorOfCall(deps, call, actor, {}, tell), (running) => joined(deps, call, actor, {}, running));
}

/** The opening of this call under way (joined: `join` audits the second press), or `open` started as it. */
async function once(
  inFlight: OpeningsInFlight, call: Call, open: () => Promise<Opened>,
  join: (running: Promise<Opened>) => Promise<{ outcome: DoorOutcome }>,
): Promise<{ outcome: DoorOutcome }> {
  const running = inFlight.get(call.id);
  if (running) return join(running);
  const opening = open().finally(() => inFlight.delete(call.id));
  inFlight.set(call.id, opening);
  return { outcome: (await opening).outcome };
}

/**
 * A press that joined an opening under way sends no command of its own, but it is audited like one: who pressed,
 * the door or station opened (so a search by door finds them too, review s23 #4), with the outcome of the opening
 * it joined (details.phase 'joined'; the call id links it to that opening's entry) — else the audit showed only
 * the first actor (review s22 #6).
 */
async function joined(
  deps: DoorOpeningDeps, call: Call, actor: Actor, details: Record<string, unknown>, running: Promise<Opened>,
): Promise<{ outcome: DoorOutcome }> {
  const base = { actor, action: 'door.open', siteId: call.siteId, correlationId: call.id };
  try {
    const { outcome, target } = await running;
    await deps.audit.append({ ...base, target, outcome: outcome === 'acknowledged' ? 'ok' : 'failed', details: { ...details, phase: 'joined', result: outcome } });
    return { outcome };
  } catch (error) {
    await deps.audit.append({ ...base, outcome: 'failed', details: { ...details, phase: 'joined', reason: (error as Error).message } });
    throw error;
  }
}

/**
 * The door code a telephone participant pressed (door-code.ts): the host who
 * answered the call on that telephone opens the door as a desk would (audited
 * with the call id and the leg it answered); a participant that did not answer
 * the call does nothing. The last allowed wrong code is audited as denied.
 */
export async function doorCodeEntered(
  deps: DoorOpeningDeps, call: Call, participantId: string, entry: { result: 'matched' } | { result: 'locked'; wrong: number },
  tell: (state: DoorState) => void, inFlight: OpeningsInFlight = new Map(),
): Promise<{ outcome: DoorOutcome } | undefined> {
  if (call.ended || call.answeredBy !== participantId || !call.hasParticipant(participantId)) return undefined;
  const actor = { type: 'participant' as const, id: participantId };
  const leg = call.legs.find((l) => l.answeredBy === participantId)?.seq ?? null;
  if (entry.result === 'locked') {
    await deps.audit.append({ actor, action: 'door.code', outcome: 'denied', siteId: call.siteId, correlationId: call.id, details: { via: 'dtmf', leg, wrong: entry.wrong } });
    return undefined;
  }
  return once(inFlight, call, () => unlockDoorOfCall(deps, call, actor, { via: 'dtmf', leg }, tell), (running) => joined(deps, call, actor, { via: 'dtmf', leg }, running));
}

/** The unlock itself: through the door outbox, audited with the call id, the terminal told opening → open | failed. */
async function unlockDoorOfCall(
  deps: DoorOpeningDeps, call: Call, actor: Actor, details: Record<string, unknown>, tell: (state: DoorState) => void,
): Promise<Opened> {
  const relay = deps.callerRelay?.(call.terminalId);
  if (relay) return openCallerRelay(deps, call, actor, details, relay, tell);
  const doorId = await deps.doorOfTerminal(call.terminalId);
  if (!doorId) throw new InvalidError('the calling terminal has no door');
  const target = { type: 'door', id: doorId };
  tell('opening');
  try {
    const result = await deps.doors.unlock({ doorId, seconds: deps.seconds, issuedBy: actor, correlationId: call.id });
    const ok = result.outcome === 'acknowledged';
    await deps.audit.append({
      actor, action: 'door.open', target, outcome: ok ? 'ok' : 'failed', siteId: call.siteId, correlationId: call.id,
      details: { ...details, commandId: result.commandId, result: result.outcome },
    });
    tell(ok ? 'open' : 'failed');
    return { outcome: result.outcome, target };
  } catch (error) {
    await deps.audit.append({ actor, action: 'door.open', target, outcome: 'failed', siteId: call.siteId, correlationId: call.id, details: { ...details, reason: (error as Error).message } });
    tell('failed');
    throw error;
  }
}

/** A door station's own relay (SIP INFO DTMF in the call's dialog): audited with the call id like an unlock, the desk told opening → open | failed. */
async function openCallerRelay(
  deps: DoorOpeningDeps, call: Call, actor: Actor, details: Record<string, unknown>, relay: CallerRelay,
  tell: (state: DoorState) => void,
): Promise<Opened> {
  const target = { type: 'door-station', id: relay.stationId };
  tell('opening');
  let ok = false;
  const stop = new AbortController();
  try {
    ok = await withinTime(relay.open(stop.signal), deps, stop);
  } finally {
    const why = stop.signal.aborted ? { reason: 'timeout' } : {};
    await deps.audit.append({ actor, action: 'door.open', target, outcome: ok ? 'ok' : 'failed', siteId: call.siteId, correlationId: call.id, details: { ...details, via: 'sip-info', ...why } });
    tell(ok ? 'open' : 'failed');
  }
  return { outcome: ok ? 'acknowledged' : 'failed', target };
}

/**
 * The relay's answer, or false once relayTimeoutMs passed without one (a station that never answers its INFO);
 * then `stop` aborts, so the keys not yet sent stay unsent.
 */
function withinTime(answer: Promise<boolean>, deps: DoorOpeningDeps, stop: AbortController): Promise<boolean> {
  const { clock, relayTimeoutMs } = deps;
  if (!clock || relayTimeoutMs === undefined) return answer;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => { timer = clock.setTimeout(() => { stop.abort(); resolve(false); }, relayTimeoutMs); });
  return Promise.race([answer, late]).finally(() => clock.clearTimeout(timer!));
}
