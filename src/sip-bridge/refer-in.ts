// The PBX sends REFER (RFC 3515) in a dialog Portier holds: "move this call to
// another extension" — the dialog of a telephone a terminal called (an outbound
// leg), or of a telephone that called in (an inbound call: its caller, to a desk
// or to a terminal that answered by itself; a door station's call stays, 603).
// sip.js matched it to the dialog by Call-ID and both tags
// (a REFER outside a dialog never gets here: the account's guard answers 403,
// an unknown dialog 481) — that dialog's participant is what moves. Refer-To must
// be a plain sip/sips URI whose host is the account's own domain or one of its
// servers and whose user a phone-book entry routes on that account (a premium
// number or a service code the PBX would dial is not; review s23 #15); another
// host or user is refused 403 (logged and audited, the host only: toll fraud
// through Portier's account), a second REFER while one runs (or while another
// leg of the call rings) 491. An attended transfer (Refer-To with `?Replaces=`,
// RFC 3891: the PBX's phone consulted the target first) is followed the same
// way, to the same targets; the new INVITE carries the Replaces header (and
// `Require: replaces`) so the target swaps its consult dialog for our call; a
// Replaces that is no Call-ID with both tags 400 bad-replaces (replaces.ts). A terminal's
// callback (its camera and microphone on for a listed caller) moves only to
// another of the callers its number lists (the list its guard lets in): any
// other target 403 not-a-listed-caller (logged, audited), the call unchanged;
// the new caller is named by that list (review s25 #9). Accepted: 202,
// NOTIFY 100 Trying, a new INVITE through the same account rings the target (the
// calls component's leg, a participant of its own); answered → NOTIFY 200 OK,
// the new participant replaces the old one in the call and the old dialog gets
// its BYE; not answered → NOTIFY with the final status, the old dialog stays.
import type { Logger } from 'pino';
import type { Referral, Session } from 'sip.js';
import type { PhoneLegHandlers, PhoneLegRequest, PhoneMove } from '../calls/index.ts';
import { SIP_USER } from '../phonebook/index.ts';
import type { AuditEntry } from '../audit/index.ts';
import type { SipAccount } from './sip-account.ts';
import type { SipLeg } from './sip-leg.ts';
import type { InboundSipCall } from './inbound-sip-call.ts';
import type { PhoneCallPort } from './sip-inbound.ts';
import { replacedDialog, replacesHeader } from './replaces.ts';

/** Why a REFER is not followed, and the status it gets. */
export type ReferRefusal = {
  status: 400 | 403 | 481 | 491 | 603;
  reason: 'unparsable' | 'bad-replaces' | 'foreign-target' | 'not-an-extension' | 'not-routed' | 'not-a-listed-caller' | 'running' | 'busy' | 'gone' | 'not-movable';
};

/** What the PBX hears when the call refuses a move (PhoneMove). */
const MOVE_REFUSAL: Record<Extract<PhoneMove, { refused: string }>['refused'], ReferRefusal> = {
  'not-routed': { status: 403, reason: 'not-routed' }, 'not-listed': { status: 403, reason: 'not-a-listed-caller' },
  busy: { status: 491, reason: 'busy' }, gone: { status: 481, reason: 'gone' },
};

/** Refusals that look like toll fraud through Portier's account, or a lobby handed to a telephone nobody listed: audited. */
const AUDITED: ReadonlySet<ReferRefusal['reason']> = new Set(['foreign-target', 'not-an-extension', 'not-routed', 'not-a-listed-caller']);

/** What a REFER may move the call to: an extension of the account and, for an attended transfer, the Replaces header its INVITE carries. */
export type ReferTarget = { user: string; replaces?: string };

/** Reads Refer-To: the extension at one of `hosts` (lower case) and its Replaces, or the refusal. */
export function referTarget(referral: Pick<Referral, 'referTo'>, hosts: readonly string[]): ReferTarget | ReferRefusal {
  let uri;
  try {
    uri = referral.referTo.uri;
  } catch {
    return { status: 400, reason: 'unparsable' };
  }
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return { status: 403, reason: 'foreign-target' };
  if (!hosts.includes(bareHost(uri.host))) return { status: 403, reason: 'foreign-target' };
  const user = uri.user ?? '';
  if (!SIP_USER.test(user)) return { status: 403, reason: 'not-an-extension' };
  // One Replaces, read whole (sip.js's Referral.replaces would give the first of several: a second one is refused here, not ignored).
  const escaped = uri.getHeader('replaces');
  if (escaped === undefined) return { user };
  const dialog = escaped.length === 1 ? replacedDialog(escaped[0]!) : undefined;
  if (!dialog) return { status: 400, reason: 'bad-replaces' };
  return { user, replaces: replacesHeader(dialog) };
}

/** What a leg lends a referral. */
export interface ReferredLeg {
  readonly session: Session;
  readonly accountId: string;
  readonly callId: string | undefined;
  /** The account's domain and its servers' hosts: the only hosts a Refer-To may name. */
  readonly hosts: readonly string[];
  /**
   * Asks the call to move to the target (refused at once, or its outcome: answered — it replaced this leg — or failed);
   * `replaces`: an attended transfer's Replaces header for the target's INVITE. Undefined: this leg cannot move.
   */
  readonly follow: ((user: string, replaces?: string) => PhoneMove) | undefined;
  /** Refuses a target this leg may not move to before the call is asked (a callback: not one of its listed callers). */
  readonly refuse?: (user: string) => ReferRefusal | undefined;
  /** Ends this leg's dialog (BYE) without telling the call (its participant has left already). */
  leave(): void;
}

const SIPFRAG = 'message/sipfrag;version=2.0';

/** The hosts a Refer-To may name: the account's domain (its address of record's host) and its servers. */
export function accountHosts(session: Session, servers: readonly { host: string }[]): string[] {
  return [session.userAgent.configuration.uri.host, ...servers.map((s) => s.host)].map(bareHost);
}

/** A host as compared: lower case, an IPv6 literal without its brackets. */
function bareHost(host: string): string { return host.toLowerCase().replace(/^\[|\]$/g, ''); }

/** What an outbound leg lends a REFER of its far end: its dialog, its account's hosts, the call's move (PhoneLegHandlers.referred), its BYE. */
export function referredLeg(leg: SipLeg, request: PhoneLegRequest, handlers: PhoneLegHandlers, account: (id: string) => SipAccount | undefined): ReferredLeg | undefined {
  const session = leg.session;
  const sip = request.route.type === 'sip' ? account(request.route.accountId) : undefined;
  if (!session || !sip) return undefined;
  const referred = handlers.referred;
  return {
    session, accountId: sip.id, callId: request.callId, hosts: accountHosts(session, sip.servers.servers),
    follow: referred && ((user, replaces) => referred(user, replaces)), leave: () => leg.hangup(),
  };
}

/**
 * What an inbound call lends a REFER of its PBX: its dialog, its account's hosts, the call's move of its caller
 * (PhoneCallPort.moveCaller), its BYE. Not movable (603): a door station's call (no account behind it), no port.
 * A callback moves only to another of its number's listed callers, named as the list names it.
 */
export function referredCall(call: InboundSipCall, servers: readonly { host: string }[] | undefined, calls: Pick<PhoneCallPort, 'moveCaller'>): ReferredLeg | undefined {
  const session = call.session;
  if (!session) return undefined;
  const callId = call.call?.id;
  const movable = servers !== undefined && calls.moveCaller !== undefined && callId !== undefined && call.stationId === undefined;
  // A callback: only to a caller its number lists, named as listed — also for a telephone moved in that moves it on (the calls component keeps this rule).
  const caller = (user: string) => {
    if (!call.callback) return {};
    const listed = call.listedCaller(user);
    return listed && { label: listed.name };
  };
  const move = (user: string, replaces?: string) => calls.moveCaller!(callId!, call.participantId, { type: 'sip', accountId: call.accountId, user }, caller, replaces);
  return {
    session, accountId: call.accountId, callId, hosts: servers ? accountHosts(session, servers) : [],
    follow: movable ? move : undefined,
    // A callback opened the lobby's camera and microphone for a listed caller: only another listed caller may take over.
    refuse: (user) => (call.callback && !call.listedCaller(user) ? { status: 403, reason: 'not-a-listed-caller' } : undefined),
    leave: () => call.leave(),
  };
}

/** One REFER at a time per dialog. */
export class Referrals {
  readonly #running = new WeakSet<Session>();
  readonly #logger: Logger;
  readonly #audit?: (entry: AuditEntry) => Promise<void>;

  /** `audit`: where a REFER to a target outside the account is recorded (the gateway's audit log). */
  constructor(logger: Logger, audit?: (entry: AuditEntry) => Promise<void>) {
    this.#logger = logger;
    this.#audit = audit;
  }

  #refused(referral: Referral, accountId: string, callId: string | undefined, refusal: ReferRefusal): void {
    // The host only, never the number the far end tried (personal data: a private mobile), in the log as in the audit.
    let host: string | undefined;
    try { host = referral.referTo.uri.host; } catch { host = undefined; }
    this.#logger.warn({ account: accountId, callId, host, status: refusal.status, reason: refusal.reason },
      'sip: REFER refused / REFER abgewiesen');
    void referral.reject({ statusCode: refusal.status }).catch(() => undefined);
    // A target outside the account or its phone book is what toll fraud through Portier would look like: audited.
    if (!AUDITED.has(refusal.reason)) return;
    void this.#audit?.({
      actor: { type: 'system', id: null }, action: 'sip.refer-refused', outcome: 'denied',
      ...(callId === undefined ? {} : { target: { type: 'call', id: callId } }),
      details: { account: accountId, status: refusal.status, reason: refusal.reason, host },
    }).catch((error: unknown) => this.#logger.warn({ err: error }, 'sip: the refused REFER could not be audited'));
  }

  /** Answers a REFER in `leg`'s dialog and, when it may, follows it (see the top of this file); no leg (no dialog of ours): 481. */
  take(referral: Referral, leg: ReferredLeg | undefined): void {
    const log = this.#logger;
    if (!leg) return void referral.reject({ statusCode: 481 }).catch(() => undefined);
    const target = this.#running.has(leg.session) ? { status: 491 as const, reason: 'running' as const }
      : leg.follow ? referTarget(referral, leg.hosts) : { status: 603 as const, reason: 'not-movable' as const };
    if ('status' in target) return this.#refused(referral, leg.accountId, leg.callId, target);
    const refusal = leg.refuse?.(target.user);
    if (refusal) return this.#refused(referral, leg.accountId, leg.callId, refusal);
    const move = leg.follow!(target.user, target.replaces);
    if ('refused' in move) return this.#refused(referral, leg.accountId, leg.callId, MOVE_REFUSAL[move.refused]);
    this.#running.add(leg.session);
    void referral.accept({ statusCode: 202 }).catch(() => undefined);
    const attended = target.replaces !== undefined;
    log.info({ account: leg.accountId, callId: leg.callId, number: target.user, attended }, 'sip: the PBX moves the call (REFER) / Telefonanlage verbindet den Anruf weiter (REFER)');
    // Every NOTIFY names the REFER it reports on (RFC 3515 §2.4.6): a later REFER of the dialog is a subscription of its own.
    const id = referral.request.cseq;
    notify(leg.session, id, '100 Trying', false);
    void move.outcome.then((outcome) => {
      if (outcome.answered) {
        notify(leg.session, id, '200 OK', true);
        leg.leave();
      } else {
        notify(leg.session, id, `${outcome.status} ${outcome.status === 408 ? 'Request Timeout' : 'Failed'}`, true);
      }
      log.info({ account: leg.accountId, callId: leg.callId, number: target.user, attended, ...outcome }, 'sip: REFER done / REFER erledigt');
    }).catch((error: unknown) => {
      log.warn({ err: error, callId: leg.callId }, 'sip: following the REFER failed / REFER nicht ausgeführt');
      notify(leg.session, id, '500 Server Internal Error', true);
    }).finally(() => this.#running.delete(leg.session));
  }
}

/** A NOTIFY of the implicit subscription of the REFER with CSeq `id` (RFC 3515 §2.4.4, §2.4.6) carrying a sipfrag status line. */
function notify(session: Session, id: number, frag: string, final: boolean): void {
  const dialog = session.dialog;
  if (!dialog || session.state !== 'Established') return;
  try {
    dialog.notify(undefined, {
      extraHeaders: [`Event: refer;id=${id}`, `Subscription-State: ${final ? 'terminated;reason=noresource' : 'active;expires=60'}`],
      body: { contentDisposition: 'render', contentType: SIPFRAG, content: `SIP/2.0 ${frag}\r\n` },
    });
  } catch {
    // The dialog ended meanwhile: nobody to tell.
  }
}
