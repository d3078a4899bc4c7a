// The digest check in front of sip.js, shared by the accounts' guard
// (inbound-guard.ts) and the door stations' registrar (station-registrar.ts):
// a request without credentials is challenged (401, a stateless nonce bound to
// its Call-ID and source, digest.ts), credentials over another URI get a fresh
// challenge, wrong ones 403 with a named reason. It also keeps the used-nonce
// ledger: a nonce opens one INVITE transaction (its branch) and one call — its
// retransmissions pass while the transaction may run (64·T1) and its call is not
// over; the same bytes in another transaction, later, or after the call ended
// are challenged afresh (stale). REGISTER nonces are one-shot per nonce count
// (RFC 7616 §3.4: nc must grow): the same Authorization again changes nothing.
import type { Clock } from '../core/index.ts';
import { DigestServer, parseAuthorization, type Authorization, type DigestCredentials } from './digest.ts';
import { headerValue, topVia, type HostPort, type WireMessage } from './sip-wire.ts';
import type { RefusalLog, RefusalReason } from './refusal-log.ts';
import { sameSipUri } from './sip-uri.ts';

/** A stateless answer of a guard (the transport writes it); `deliver` hands the request to sip.js. */
export type GateReply = { action: 'reply'; status: number; reason: string; headers?: string[] };

export interface DigestGateOptions {
  /** How long a challenge's nonce is good (sip.inbound.nonce_ttl_seconds). */
  nonceTtlMs: number;
  /** How long an INVITE server transaction may absorb retransmissions (64·T1). */
  transactionMs: number;
  clock: Clock;
  /** Where refusals are counted (one summary line per interval). */
  refusals: RefusalLog;
  /** The owner's counters: challenges and refusals are counted there. */
  counters: { challenged: number; refused: number };
}

/** What a request's credentials proved: the Authorization, or the answer to send instead. */
export type DigestResult = { auth: Authorization } | GateReply;

/** Who may answer a challenge: the credentials for this Authorization, or why nobody can (403). */
export type CredentialsOf = (auth: Authorization) => DigestCredentials | RefusalReason;

/** A nonce used: the branch and time of its use, and the call it opened (callOver's key). */
interface UsedNonce { branch: string; call: string; at: number; over: boolean; nc: number }

export class DigestGate {
  readonly #opts: DigestGateOptions;
  readonly #digest: DigestServer;
  /** Nonces that opened an INVITE or bound a REGISTER, in the order they were used, kept for the nonce's lifetime. */
  readonly #used = new Map<string, UsedNonce>();

  constructor(opts: DigestGateOptions) {
    this.#opts = opts;
    this.#digest = new DigestServer({ ttlMs: opts.nonceTtlMs });
  }

  /**
   * Checks the request's Authorization against `credentialsOf`: the Authorization when it proves them,
   * else the challenge or refusal to answer. An INVITE whose nonce opened another transaction, or a call
   * that is over, or whose transaction's time passed, is challenged again (stale).
   */
  verify(msg: WireMessage, source: HostPort, realm: string, credentialsOf: CredentialsOf): DigestResult {
    const callId = headerValue(msg, 'call-id') ?? '';
    const now = this.#opts.clock.now();
    const header = headerValue(msg, 'authorization');
    if (header === undefined) return this.challenge(realm, callId, source);
    const auth = parseAuthorization(header);
    if (!auth) return this.refuse(403, 'Forbidden', 'digest-malformed');
    // Credentials computed over another URI are not this request's (RFC 7616 §3.4.6): a fresh challenge.
    if (!sameSipUri(auth.uri, msg.requestUri ?? '')) {
      this.#opts.refusals.note('uri-mismatch');
      return this.challenge(realm, callId, source);
    }
    const creds = credentialsOf(auth);
    if (typeof creds === 'string') return this.refuse(403, 'Forbidden', creds);
    const failure = this.#digest.verify(auth, { method: msg.method!, callId, source: source.host, now }, creds);
    if (failure === 'stale' || failure === 'foreign-nonce') return this.challenge(realm, callId, source, failure === 'stale');
    if (failure) return this.refuse(403, 'Forbidden', `digest-${failure}`);
    if (msg.method === 'INVITE' && this.#replayedInvite(auth.nonce, branchOf(msg), now)) return this.challenge(realm, callId, source, true);
    return { auth };
  }

  /** Whether an INVITE's nonce was used before outside this transaction's retransmissions. */
  #replayedInvite(nonce: string, branch: string, now: number): boolean {
    this.#prune(now);
    const used = this.#used.get(nonce);
    return used !== undefined && (used.branch !== branch || used.over || now - used.at > this.#opts.transactionMs);
  }

  /**
   * Records that `key` (a nonce, or a trusted call's own key) opened this INVITE, for the call `call` (callOver's key:
   * its Call-ID unless the caller tells calls with one Call-ID apart, review s27 #3); false when it had already.
   */
  useForInvite(key: string, msg: WireMessage, call = headerValue(msg, 'call-id') ?? ''): boolean {
    const now = this.#opts.clock.now();
    this.#prune(now);
    if (this.#used.has(key)) return false;
    this.#used.set(key, { branch: branchOf(msg), call, at: now, over: false, nc: 0 });
    return true;
  }

  /**
   * A REGISTER's Authorization is good for one registration: 'fresh' the first time (recorded), 'retransmission'
   * for the same bytes in the same transaction (answer without changing anything), 'replay' for anything else
   * with this nonce and a nonce count not above the last one used.
   */
  useForRegister(auth: Authorization, msg: WireMessage): 'fresh' | 'retransmission' | 'replay' {
    const now = this.#opts.clock.now();
    this.#prune(now);
    const count = auth.nc === undefined ? 1 : parseInt(auth.nc, 16);
    const nc = Number.isFinite(count) ? count : 1;
    const branch = branchOf(msg);
    const used = this.#used.get(auth.nonce);
    if (used && nc <= used.nc) {
      return used.nc === nc && used.branch === branch && now - used.at <= this.#opts.transactionMs ? 'retransmission' : 'replay';
    }
    // Without qop there is no count: the nonce is single-use (nc stays 1).
    if (used && auth.nc === undefined) return 'replay';
    if (used) Object.assign(used, { branch, nc });
    else this.#used.set(auth.nonce, { branch, call: headerValue(msg, 'call-id') ?? '', at: now, over: false, nc });
    return 'fresh';
  }

  /** The call an accepted INVITE opened is over (sip.js terminated it): its nonces open nothing any more. `call`: useForInvite's. */
  callOver(call: string): void {
    for (const used of this.#used.values()) if (used.call === call) used.over = true;
  }

  /** A 401 with a fresh nonce for this Call-ID and source (stale=true: the old one only aged or was used). */
  challenge(realm: string, callId: string, source: HostPort, stale = false): GateReply {
    this.#opts.counters.challenged++;
    const nonce = this.#digest.nonce(this.#opts.clock.now(), callId, source.host);
    return { action: 'reply', status: 401, reason: 'Unauthorized', headers: [`WWW-Authenticate: ${this.#digest.challenge(realm, nonce, stale)}`] };
  }

  /** A refusal, counted and noted for the summary line. */
  refuse(status: number, reason: string, why: RefusalReason): GateReply {
    this.#opts.counters.refused++;
    this.#opts.refusals.note(why);
    return { action: 'reply', status, reason };
  }

  #prune(now: number): void {
    for (const [nonce, { at }] of this.#used) {
      if (now - at <= this.#opts.nonceTtlMs) break;
      this.#used.delete(nonce);
    }
  }
}

function branchOf(msg: WireMessage): string {
  return topVia(msg)?.params.get('branch') ?? '';
}

/** Addresses a request to `user` (sip.js answers 404 to a Request-URI user that is not its own). */
export function rewriteRequestUser(msg: WireMessage, user: string): void {
  const uri = msg.requestUri!.replace(/^(sips?:)[^@;?]+@/i, `$1${user}@`);
  msg.requestUri = uri;
  msg.lines[0] = `${msg.method} ${uri} SIP/2.0`;
}
