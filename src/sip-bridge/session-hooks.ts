// What sip.js 0.21.2 leaves out of an established session's in-dialog requests,
// hooked per session instead of patching the library's files: headers of our own
// on the 2xx to the far end's re-INVITE (Session-Expires, RFC 4028 §9), and UPDATE
// (RFC 3311), which its core answers 405 (not in its AllowedMethods) and its dialog
// 501 — a session refresh or an offer, answered here through the same media handler
// as a re-INVITE's. The hooks are instance properties sip.js calls through
// dynamically (core.receiveRequest, session.onInviteRequest, dialog.receiveRequest);
// a library upgrade that changes them fails outbound-call.test.ts's session timers.
// Also per dialog: the 2xx to the far end's re-INVITE is sent again until its own ACK
// (sip.js stopped only once no re-INVITE at all was pending, see retransmitUntilItsAck);
// each run of that timer is observable (reinvite2xxTimer), for tests that wait on it.
import type { Core, Session } from 'sip.js';
import { TypedEmitter } from '../core/index.ts';

type IncomingRequestMessage = Core.IncomingRequestMessage;

export interface SessionHooks {
  /** A refusal of the far end's re-INVITE or UPDATE before it is looked at (422 for an interval below the floor, RFC 4028 §8.1). */
  refuse?(request: IncomingRequestMessage): { statusCode: number; reasonPhrase?: string; extraHeaders?: string[] } | undefined;
  /** The far end's re-INVITE or UPDATE is being answered 2xx: a refresh (RFC 4028 §10), with its request; called before responseHeaders. */
  refreshed?(request: IncomingRequestMessage): void;
  /** Headers on our 2xx to the far end's re-INVITE or UPDATE. */
  responseHeaders?(request: IncomingRequestMessage): string[];
  /** An UPDATE's offer → our answer (what a re-INVITE's would be); throws when not acceptable (488). */
  answer?(offer: string): Promise<string>;
}

interface ReplyOptions { statusCode?: number; reasonPhrase?: string; extraHeaders?: string[] }
interface ReInviteServer { message: IncomingRequestMessage; accept(options?: ReplyOptions): unknown; reject(options?: ReplyOptions): unknown }
interface HookableSession { onInviteRequest(request: ReInviteServer): void; _contact?: string }
interface AcceptedInvite {
  state: string;
  request: { cseq: number };
  retransmitAcceptedResponse(): void;
  addStateChangeListener(listener: () => void): void;
  removeStateChangeListener(listener: () => void): void;
}
interface HookableDialog {
  receiveRequest(message: IncomingRequestMessage): void;
  core: Core.UserAgentCore;
  /** The far end's re-INVITE being answered, until its ACK (sip.js clears it then). */
  reinviteUserAgentServer?: { transaction: AcceptedInvite };
  startReInvite2xxRetransmissionTimer(): void;
  dispose(): void;
  [TIMER_RUNS]?: Reinvite2xxTimer;
}

export type Reinvite2xxTimerEvents = {
  /** The timer of our 2xx to the re-INVITE with this CSeq ran: `resent` it sent the 2xx again, else its ACK had come (it stopped). */
  ran: [cseq: number, resent: boolean];
};

/** The runs of a dialog's retransmission timers of our 2xx to the far end's re-INVITEs (retransmitUntilItsAck). */
export class Reinvite2xxTimer extends TypedEmitter<Reinvite2xxTimerEvents> {
  ran(cseq: number, resent: boolean): void { this.safeEmit('ran', cseq, resent); }
}

/** Where a hooked dialog keeps its Reinvite2xxTimer (a property of ours on sip.js's dialog, like the hooks). */
const TIMER_RUNS = Symbol('portier.reinvite2xxTimer');

/** The runs of the session's re-INVITE 2xx retransmission timers, once hookSession hooked its dialog; else undefined. */
export function reinvite2xxTimer(session: Session): Reinvite2xxTimer | undefined {
  return (session.dialog as unknown as HookableDialog | undefined)?.[TIMER_RUNS];
}

/** RFC 3261 §17's T1 and T2 as sip.js 0.21.2 uses them for a 2xx's retransmissions (its Timers, not exported). */
const T1_MS = 500;
const T2_MS = 4000;

interface HookableCore { receiveRequest(message: IncomingRequestMessage): void; replyStateless: Core.UserAgentCore['replyStateless']; dialogs: Map<string, HookableDialog> }

/** Hands an UPDATE to its dialog (hooked by hookSession), past the core's method check; outside a dialog: 481 (RFC 3311 §5.2). */
export function routeUpdates(userAgentCore: Core.UserAgentCore): void {
  const core = userAgentCore as unknown as HookableCore;
  const receive = core.receiveRequest.bind(core);
  core.receiveRequest = (message) => {
    if (message.method !== 'UPDATE') return receive(message);
    const dialog = message.toTag ? core.dialogs.get(message.callId + message.toTag + message.fromTag) : undefined;
    if (dialog) dialog.receiveRequest(message);
    else core.replyStateless(message, { statusCode: 481 });
  };
}

/** Installs the hooks once the session has its dialog (Established). */
export function hookSession(session: Session, hooks: SessionHooks): void {
  const s = session as unknown as HookableSession;
  const onInvite = s.onInviteRequest.bind(session);
  s.onInviteRequest = (request) => {
    const refusal = hooks.refuse?.(request.message);
    if (refusal) {
      request.reject(refusal);
      return;
    }
    const accept = request.accept.bind(request);
    request.accept = (options = {}) => {
      if ((options.statusCode ?? 200) >= 300) return accept(options);
      hooks.refreshed?.(request.message);
      return accept({ ...options, extraHeaders: [...(options.extraHeaders ?? []), ...(hooks.responseHeaders?.(request.message) ?? [])] });
    };
    onInvite(request);
  };
  const dialog = session.dialog as unknown as HookableDialog | undefined;
  if (!dialog) return;
  retransmitUntilItsAck(dialog);
  const receive = dialog.receiveRequest.bind(dialog);
  dialog.receiveRequest = (message) => {
    if (message.method !== 'UPDATE') return receive(message);
    void answerUpdate(dialog, s._contact, message, hooks);
  };
}

/** 200 to an UPDATE (with our answer when it carried an offer), 488 when its offer is not acceptable, 422 below the floor. Stateless: a repeated UPDATE gets the same answer again. */
async function answerUpdate(dialog: HookableDialog, contact: string | undefined, message: IncomingRequestMessage, hooks: SessionHooks): Promise<void> {
  const refusal = hooks.refuse?.(message);
  if (refusal) {
    dialog.core.replyStateless(message, refusal);
    return;
  }
  let answer: string | undefined;
  if (message.body && /application\/sdp/i.test(message.getHeader('content-type') ?? '')) {
    try {
      answer = await (hooks.answer ? hooks.answer(message.body) : Promise.reject(new Error('no offers by UPDATE')));
    } catch {
      dialog.core.replyStateless(message, { statusCode: 488 });
      return;
    }
  }
  hooks.refreshed?.(message);
  const headers = [...(contact ? [`Contact: ${contact}`] : []), ...(hooks.responseHeaders?.(message) ?? [])];
  dialog.core.replyStateless(message, {
    statusCode: 200, extraHeaders: headers,
    ...(answer === undefined ? {} : { body: { contentDisposition: 'session', contentType: 'application/sdp', content: answer } }),
  });
}

/**
 * Our 2xx to a re-INVITE of the far end is sent again (T1, doubling up to T2) until the ACK of that
 * re-INVITE, the end of its transaction or of the dialog (RFC 3261 §13.3.1.4, RFC 6026 §8.1). sip.js
 * 0.21.2's timer stops only when no re-INVITE at all is pending when it fires, and keeps one timer per
 * dialog: a phone's next re-INVITE still being answered T1 after our last 200 (a hold, then inactive,
 * on a loaded gateway) got that acknowledged 200 again — taken by sipp as the answer to the new one.
 */
function retransmitUntilItsAck(dialog: HookableDialog): void {
  const running = new Set<() => void>();
  const runs = dialog[TIMER_RUNS] = new Reinvite2xxTimer();
  dialog.startReInvite2xxRetransmissionTimer = () => {
    const uas = dialog.reinviteUserAgentServer;
    const transaction = uas?.transaction;
    if (!uas || typeof transaction?.retransmitAcceptedResponse !== 'function') return;
    let timeout = T1_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let look: ReturnType<typeof setImmediate> | undefined;
    const onState = () => { if (transaction.state === 'Terminated') stop(); };
    const stop = () => {
      clearTimeout(timer);
      clearImmediate(look);
      transaction.removeStateChangeListener(onState);
      running.delete(stop);
    };
    const again = () => {
      look = undefined;
      // Its ACK came: sip.js cleared reinviteUserAgentServer (a later re-INVITE may have set it again).
      if (dialog.reinviteUserAgentServer !== uas) {
        stop();
        return runs.ran(transaction.request.cseq, false);
      }
      transaction.retransmitAcceptedResponse();
      runs.ran(transaction.request.cseq, true);
      timeout = Math.min(timeout * 2, T2_MS);
      timer = setTimeout(due, timeout);
    };
    // Node runs due timers before it reads the sockets: after a stall (GC, a loaded machine) the ACK may already wait in
    // the socket. The retransmission is decided after this turn's datagrams are read (setImmediate runs after the poll).
    const due = () => { timer = undefined; look = setImmediate(again); };
    running.add(stop);
    transaction.addStateChangeListener(onState);
    timer = setTimeout(due, timeout);
  };
  const dispose = dialog.dispose.bind(dialog);
  dialog.dispose = () => {
    for (const stop of [...running]) stop();
    runs.removeAllListeners();
    dispose();
  };
}
