// What an operator reads in the log: one info line per domain event they care
// about (a call started, was answered, ended with its outcome), naming the
// call's terminal, site and entry by id — never a person (desks are named by
// kind). Components stay silent about these; the composition root attaches here.
import type { Logger } from 'pino';
import type { TypedEmitter } from '../core/index.ts';
import type { CallServiceEvents } from '../calls/index.ts';

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
  calls.on('step', onStep);
  calls.on('answered', onAnswered);
  calls.on('doorstate', onDoor);
  return () => {
    calls.off('step', onStep);
    calls.off('answered', onAnswered);
    calls.off('doorstate', onDoor);
  };
}
