// What an operator reads in the log: one info line per domain event they care
// about (a call started, was answered, ended with its outcome), naming the
// call's terminal, site and entry by id — never a person (desks are named by
// kind). Components stay silent about these; the composition root attaches here.
import type { Logger } from 'pino';
import type { TypedEmitter, EventMap } from '../core/index.ts';
import type { CallServiceEvents } from '../calls/index.ts';
import type { AccountsEvents } from '../access/index.ts';
import type { CredentialEvents } from '../credentials/index.ts';
import type { EnrolmentEvents } from '../terminals/index.ts';
import type { HubObserverEvents } from '../device-hub/index.ts';

/** Subscribes `fn` and returns what unsubscribes it. */
function listen<E extends EventMap, K extends keyof E & string>(emitter: TypedEmitter<E>, event: K, fn: (...args: E[K]) => void): () => void {
  emitter.on(event, fn);
  return () => emitter.off(event, fn);
}

/** Logs the calls' life cycle; returns what detaches it. */
export function journalCalls(calls: TypedEmitter<CallServiceEvents>, logger: Logger): () => void {
  const log = logger.child({ component: 'calls' });
  const started = new Set<string>();
  const onStep: (...a: CallServiceEvents['step']) => void = (call, step) => {
    const where = { call: call.id, site: call.siteId, terminal: call.terminalId };
    if (step.step === 'ended') {
      started.delete(call.id);
      log.info({ ...where, outcome: step.outcome, reason: step.reason }, 'calls: call ended');
      return;
    }
    if (started.has(call.id)) return;
    started.add(call.id);
    log.info({ ...where, entry: call.entryId }, 'calls: call started');
  };
  const onAnswered: (...a: CallServiceEvents['answered']) => void = (call) => {
    const by = call.participants.find((p) => p.id === call.answeredBy)?.kind;
    log.info({ call: call.id, site: call.siteId, terminal: call.terminalId, by }, 'calls: call answered');
  };
  const onDoor: (...a: CallServiceEvents['doorstate']) => void = (call, state) => {
    if (state === 'opening') return;
    const line = { call: call.id, site: call.siteId, terminal: call.terminalId };
    if (state === 'open') log.info(line, 'door: opened during a call');
    else log.warn(line, 'door: opening during a call failed (see the door line before for why)');
  };
  const detach = [listen(calls, 'step', onStep), listen(calls, 'answered', onAnswered), listen(calls, 'doorstate', onDoor)];
  return () => { for (const d of detach) d(); };
}

/**
 * Sign-ins refused (a login is pseudonymised by the logger), terminals paired and
 * pairing codes refused, credentials revoked; returns what detaches it.
 */
export function journalAccess(src: {
  accounts: TypedEmitter<AccountsEvents>; enrolment: TypedEmitter<EnrolmentEvents>; credentials: TypedEmitter<CredentialEvents>;
}, logger: Logger): () => void {
  const access = logger.child({ component: 'access' });
  const detach = [
    listen(src.accounts, 'signinrefused', ({ login, reason, locked }) => {
      if (locked) access.warn({ login, reason }, 'access: sign-in locked out after repeated failures');
      else access.info({ login, reason }, 'access: sign-in failed');
    }),
    listen(src.enrolment, 'paired', (t) => access.info({ terminal: t.id, label: t.label, site: t.siteId }, 'terminals: terminal paired')),
    listen(src.enrolment, 'refused', ({ reason }) => access.info({ reason }, 'terminals: pairing code refused')),
    listen(src.credentials, 'revoked', (c) => access.info({ kind: c.kind, id: c.id, label: c.label, site: c.siteId }, `credentials: ${c.kind} revoked`)),
  ];
  return () => { for (const d of detach) d(); };
}

/**
 * Devices connected and disconnected, rules fired (with each action's outcome), door
 * commands acknowledged or refused by their controller (an expiry is the outbox's own
 * warning, which says why); returns what detaches it.
 */
export function journalDevices(observer: TypedEmitter<HubObserverEvents>, logger: Logger): () => void {
  const log = logger.child({ component: 'devices' });
  const detach = [
    listen(observer, 'online', (d) => log.info({ device: d.id, kind: d.kind, site: d.siteId }, 'devices: device connected')),
    listen(observer, 'offline', (d) => log.info({ device: d.id, kind: d.kind, site: d.siteId }, 'devices: device disconnected')),
    listen(observer, 'ruleFired', (f) => log.info({
      rule: f.rule, site: f.event.siteId, device: f.event.deviceId, correlation: f.correlationId,
      actions: f.outcomes.map((o) => `${o.type}:${o.outcome}`),
    }, 'rules: rule fired')),
    listen(observer, 'commandSettled', (row, outcome) => {
      const line = { door: row.door_id, site: row.site_id, action: row.action, command: row.id };
      if (outcome === 'acknowledged') log.info(line, `door: ${row.action} acknowledged by the controller`);
      else if (outcome === 'failed') log.warn(line, `door: ${row.action} refused by the controller`);
    }),
  ];
  return () => { for (const d of detach) d(); };
}
