// The door of an account's SIP socket, in front of sip.js: every request is
// counted against its source address (a token bucket; a scanner that knocks all
// day is answered once with 503 and Retry-After and then dropped, its run logged
// as one line when it ends), and a new INVITE rings nothing before it proved to
// come from the configured trunk: it is challenged with 401 (digest, see
// digest.ts), a wrong answer gets 403, a number the trunk may not call 404, and
// only then does sip.js see it — addressed to the account's own user (sip.js
// answers any other Request-URI user with 404) and with what it dialled noted
// for the bridge by Call-ID. Everything refused here is answered statelessly:
// no transaction, no timer, nothing kept for the caller; refusals are logged as
// one summary line per interval with counts per reason (refusal-log.ts). The
// digest's `uri` must name the Request-URI (RFC 3261 §19.1.4 equivalence), else a
// fresh challenge. Requests in a live inbound dialog (its Call-ID, from the address
// its INVITE came from) never pay the per-source bucket.
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/index.ts';
import type { DigestCredentials } from './digest.ts';
import { headerValue, type HostPort, type WireMessage } from './sip-wire.ts';
import { RefusalLog, type RefusalReason } from './refusal-log.ts';
import { assertedIdentityValues } from './asserted-identity.ts';
import { DigestGate, rewriteRequestUser } from './digest-gate.ts';
import { sourceKey } from './source-key.ts';

export { rewriteRequestUser };

export interface InboundTrunk {
  /** What the PBX answers Portier's challenge with. */
  credentials: DigestCredentials;
  /** Source addresses allowed to send INVITEs (empty: any; the digest decides). */
  sources: readonly string[];
  /** The numbers (Request-URI users) the trunk may call. */
  numbers: ReadonlySet<string>;
  /** Numbers only some callers may reach (a terminal that answers by itself): number → the From users allowed. */
  callers?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface InboundLimits {
  /** Requests per source address and minute (the bucket refills at this rate). */
  ratePerMinute: number;
  /** Requests a source may send at once (the bucket's size). */
  burst: number;
  /** Source addresses whose buckets are kept; past it the least recently seen goes. */
  maxSources: number;
  /** How long a challenge's nonce is good. */
  nonceTtlMs: number;
  /** Inbound calls of one account at a time; past it an authenticated INVITE gets 486 (sip.inbound.max_calls). */
  maxCalls: number;
  /** Retry-After of that 486, in seconds (sip.inbound.busy_retry_seconds). */
  busyRetrySeconds: number;
  /** One summary line of refusals per this interval (sip.inbound.refusal_log_seconds). */
  refusalLogMs: number;
}

/** config/default.yaml's sip.inbound. */
export const DEFAULT_INBOUND_LIMITS: InboundLimits = {
  ratePerMinute: 120, burst: 30, maxSources: 10_000, nonceTtlMs: 30_000, maxCalls: 4, busyRetrySeconds: 30, refusalLogMs: 60_000,
};

/** A new INVITE that passed: what it dialled and who calls (from From), by Call-ID. */
export interface AcceptedInvite {
  callId: string;
  dialled: string;
  /** The caller's user part (number or extension) and display name, as the trunk says. */
  caller: string;
  callerName?: string;
  source: HostPort;
}

/** What becomes of a source's datagram before it is read (InboundGuard.admit). */
export type Admission = 'pass' | 'limited' | 'drop';

export type GuardVerdict =
  | { action: 'deliver'; invite?: AcceptedInvite }
  | { action: 'reply'; status: number; reason: string; headers?: string[] }
  | { action: 'drop' };

export interface InboundCounters {
  challenged: number;
  accepted: number;
  /** Refused with 403/404 (wrong credentials, foreign source, unknown number, no inbound trunk). */
  refused: number;
  /** Over the rate limit (answered once per run, then dropped). */
  limited: number;
  /** Authenticated INVITEs answered 486 because the account had sip.inbound.max_calls calls already. */
  busy: number;
}

/** The Call-ID header of a raw datagram (long or compact form). */
const CALL_ID = /^(?:call-id|i)[ \t]*:[ \t]*(\S+)/im;

/** Our stateless responses carry a To tag with this prefix: their ACKs end here too. */
const TAG_PREFIX = 'pg';

interface Bucket { tokens: number; at: number; limited: number }

export interface InboundGuardOptions {
  accountId: string;
  /** sip.js's own user: accepted INVITEs are addressed to it. */
  accountUser: string;
  trunk?: InboundTrunk;
  /**
   * The account's own servers (registrar, outbound proxy; IP literals): like the trunk's sources they
   * never share the scanners' bucket (a busy single-address PBX would otherwise lose its BYEs).
   */
  servers?: readonly string[];
  limits: InboundLimits;
  clock: Clock;
  logger: Logger;
  /** How long an INVITE server transaction may absorb retransmissions (64·T1): a used nonce passes again only within it. */
  transactionMs?: number;
}

export class InboundGuard {
  readonly counters: InboundCounters = { challenged: 0, accepted: 0, refused: 0, limited: 0, busy: 0 };
  /** Refusals, counted per reason and logged once per interval. */
  readonly refusals: RefusalLog;
  readonly #opts: InboundGuardOptions;
  /** Challenges, digest checks and the used-nonce ledger (digest-gate.ts). */
  readonly #gate: DigestGate;
  readonly #buckets = new Map<string, Bucket>();
  readonly #tag = `${TAG_PREFIX}${randomBytes(6).toString('hex')}`;
  /** The registrar's and outbound proxy's address and port, when the trunk trusts them (trustPeers). */
  #trustedPeers: readonly HostPort[] = [];
  /** Live inbound dialogs by the address their INVITE came from: by Call-ID, the dialogs (their keys) that have it. */
  readonly #dialogs = new Map<string, Map<string, Set<string>>>();

  constructor(opts: InboundGuardOptions) {
    this.#opts = opts;
    this.refusals = new RefusalLog({ accountId: opts.accountId, clock: opts.clock, logger: opts.logger, intervalMs: opts.limits.refusalLogMs });
    this.#gate = new DigestGate({
      nonceTtlMs: opts.limits.nonceTtlMs, transactionMs: opts.transactionMs ?? 32_000, clock: opts.clock, refusals: this.refusals, counters: this.counters,
    });
  }

  /**
   * An inbound call is established: its requests from `host` (BYE, ACK, INFO, re-INVITE) no longer pay the bucket.
   * `dialog` tells calls apart that share a Call-ID (door stations: Call-ID and our tag, review s27 #3); a datagram
   * is read by its Call-ID only, so it passes while any dialog of that Call-ID from the host lives.
   */
  openDialog(callId: string, host: string, dialog = callId): void {
    let calls = this.#dialogs.get(host);
    if (!calls) this.#dialogs.set(host, calls = new Map());
    let dialogs = calls.get(callId);
    if (!dialogs) calls.set(callId, dialogs = new Set());
    dialogs.add(dialog);
  }

  /** The dialog ended (the same `dialog` as opened it; one never opened changes nothing). */
  closeDialog(callId: string, host: string, dialog = callId): void {
    const calls = this.#dialogs.get(host);
    const dialogs = calls?.get(callId);
    if (!dialogs?.delete(dialog) || dialogs.size > 0) return;
    calls!.delete(callId);
    if (calls!.size === 0) this.#dialogs.delete(host);
  }

  /** Whether the datagram belongs to a live dialog with this source (only read for sources that have one). */
  #inDialog(host: string, datagram?: Buffer): boolean {
    const calls = this.#dialogs.get(host);
    if (!calls || !datagram) return false;
    const callId = CALL_ID.exec(datagram.toString('latin1'))?.[1];
    return callId !== undefined && calls.has(callId);
  }

  /** Source addresses currently tracked (bounded by maxSources). */
  get trackedSources(): number { return this.#buckets.size; }

  /**
   * Takes the source's token before anything of its datagram is read (a malformed request, an ACK or a
   * response costs one too): 'pass'; the first datagram of a run over the limit 'limited' (a request is
   * answered 503 once, see `limitedReply`); every later one of the run 'drop' (nothing parsed, nothing answered).
   */
  admit(host: string, datagram?: Buffer): Admission {
    if (this.#trusted(host) || this.#inDialog(host, datagram) || this.#take(host)) return 'pass';
    const bucket = this.#buckets.get(sourceKey(host))!;
    this.counters.limited++;
    this.refusals.note('rate-limit');
    bucket.limited++;
    return bucket.limited > 1 ? 'drop' : 'limited';
  }

  /** The answer to the first request of a run over the limit: 503 with Retry-After. */
  limitedReply(): GuardVerdict & { action: 'reply' } {
    const retryAfter = Math.max(1, Math.ceil(60 / this.#opts.limits.ratePerMinute));
    return { action: 'reply', status: 503, reason: 'Service Unavailable', headers: [`Retry-After: ${retryAfter}`] };
  }

  /**
   * Decides what becomes of a request before sip.js sees it, once `admit` passed its datagram;
   * may rewrite an accepted INVITE's Request-URI.
   */
  check(msg: WireMessage, source: HostPort): GuardVerdict {
    const toTag = /;\s*tag=([^;\s>]+)/i.exec(headerValue(msg, 'to') ?? '')?.[1];
    // The ACK of a response we sent statelessly: nothing waits for it.
    if (msg.method === 'ACK' && toTag?.startsWith(TAG_PREFIX) && toTag === this.#tag) return { action: 'drop' };
    // With trunk sources set, every request (in a dialog, CANCEL, ACK too) must come from them or the account's servers.
    if (!this.#fromTrunk(source.host)) {
      return msg.method === 'ACK' ? { action: 'drop' } : this.#refuse(403, 'Forbidden', 'foreign-source');
    }
    if (msg.method === 'ACK') return { action: 'deliver' };
    // In a dialog (BYE, re-INVITE …) or cancelling a transaction: sip.js matches it or answers 481.
    if (toTag !== undefined || msg.method === 'CANCEL') return { action: 'deliver' };
    if (msg.method === 'OPTIONS') return { action: 'deliver' };
    if (msg.method !== 'INVITE') return this.#refuse(403, 'Forbidden', 'outside-dialog');
    return this.#invite(msg, source);
  }

  /**
   * The registrar's and outbound proxy's address and port (sip.accounts[].inbound.trust_registrar, resolved by the
   * account): their INVITEs are trunk calls without a challenge — a proxy whose lookup rewrote the Request-URI could
   * not answer one (the caller's digest names the URI it dialled). Everything else is still challenged.
   */
  trustPeers(peers: readonly HostPort[]): void { this.#trustedPeers = peers; }

  #fromTrustedPeer(source: HostPort): boolean {
    return this.#trustedPeers.some((p) => p.host === source.host && p.port === source.port);
  }

  #invite(msg: WireMessage, source: HostPort): GuardVerdict {
    const trunk = this.#opts.trunk;
    if (!trunk) return this.#refuse(403, 'Forbidden', 'no-trunk');
    const callId = headerValue(msg, 'call-id') ?? '';
    const now = this.#opts.clock.now();
    if (this.#fromTrustedPeer(source)) return this.#admit(msg, source, trunk, `trusted:${callId}`, callId, now, true);
    if (trunk.sources.length > 0 && !trunk.sources.includes(source.host)) return this.#refuse(403, 'Forbidden', 'foreign-source');
    // A nonce opens one transaction and one call: its retransmissions pass, a replay in another transaction,
    // after the transaction's time or after its call ended (the same bytes again) is challenged again.
    const proved = this.#gate.verify(msg, source, trunk.credentials.realm, () => trunk.credentials);
    if (!('auth' in proved)) return proved;
    return this.#admit(msg, source, trunk, proved.auth.nonce, callId, now);
  }

  /**
   * An authenticated (or trusted) INVITE: only to a configured number (404), a terminal's only from its callers
   * (403); counted once per `key` (the nonce, or the trusted call's Call-ID), addressed to the account's user.
   */
  #admit(msg: WireMessage, source: HostPort, trunk: InboundTrunk, key: string, callId: string, now: number, trusted = false): GuardVerdict {
    let dialled = requestUser(msg.requestUri ?? '');
    // The registrar's lookup rewrote the Request-URI to our contact (sip.js's own user): what was dialled is the AOR
    // in To — only the account's own username, never another configured number the sender wrote there (review s21 #35).
    if (trusted && (!dialled || !trunk.numbers.has(dialled))) {
      const to = parseFrom(headerValue(msg, 'to') ?? '').user;
      dialled = to === this.#opts.accountUser ? to : undefined;
    }
    if (!dialled || !trunk.numbers.has(dialled)) return this.#refuse(404, 'Not Found', 'number');
    let caller = parseFrom(headerValue(msg, 'from') ?? '');
    // A terminal's number opens a lobby's camera: only its configured callers reach it, everyone else gets 403.
    const allowed = trunk.callers?.get(dialled);
    if (allowed) {
      const asserted = assertedCaller(msg, source, trunk, allowed);
      if (!asserted) return this.#refuse(403, 'Forbidden', 'caller');
      caller = asserted;
    }
    if (this.#gate.useForInvite(key, msg)) this.counters.accepted++;
    rewriteRequestUser(msg, this.#opts.accountUser);
    return { action: 'deliver', invite: { callId, dialled, caller: caller.user ?? '', callerName: caller.name, source } };
  }

  #refuse(status: number, reason: string, why: RefusalReason): GuardVerdict {
    return this.#gate.refuse(status, reason, why);
  }

  /** Whether a request may come from this address: any when the trunk names no sources. */
  #fromTrunk(host: string): boolean {
    const sources = this.#opts.trunk?.sources ?? [];
    return sources.length === 0 || this.#trusted(host);
  }

  /** The configured trunk and the account's servers: not rate-limited per source. */
  #trusted(host: string): boolean {
    return (this.#opts.trunk?.sources.includes(host) ?? false) || (this.#opts.servers?.includes(host) ?? false)
      || this.#trustedPeers.some((p) => p.host === host);
  }

  /** Token bucket of the source (an IPv6 source's whole /64 shares one); false when it is empty. */
  #take(address: string): boolean {
    const host = sourceKey(address);
    const { ratePerMinute, burst, maxSources } = this.#opts.limits;
    const now = this.#opts.clock.now();
    let bucket = this.#buckets.get(host);
    if (bucket) this.#buckets.delete(host);
    else {
      bucket = { tokens: burst, at: now, limited: 0 };
      if (this.#buckets.size >= maxSources) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    // Re-inserted: the map's first key is the source seen least recently.
    this.#buckets.set(host, bucket);
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * ratePerMinute) / 60_000);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    bucket.limited = 0;
    return true;
  }

  /** The call an accepted INVITE opened is over (sip.js terminated it): its nonces open nothing any more. */
  callOver(callId: string): void {
    this.#gate.callOver(callId);
  }

  /** The To tag stateless responses carry (the transport writes it into To). */
  get tag(): string { return this.#tag; }

  /** Logs the refusals counted so far and stops counting them. */
  close(): void {
    this.refusals.close();
  }
}

/**
 * Who calls a terminal's number: the P-Asserted-Identity (its first listed value) that a PBX of the trunk's
 * `sources` sets — never From, which a PBX passes through from an outside caller who chooses it (CLIP spoofing),
 * nor an identity from any other address (review s21 #1). Undefined: not a listed caller.
 */
function assertedCaller(msg: WireMessage, source: HostPort, trunk: InboundTrunk, allowed: ReadonlySet<string>): { user?: string; name?: string } | undefined {
  if (!trunk.sources.includes(source.host)) return undefined;
  const values = assertedIdentityValues(msg);
  // RFC 3325 §9.1: at most one sip/sips and one tel identity, both naming the same caller. More, or two that
  // disagree, means someone else's assertion came along (a PBX forwarding an outside PAI): trust none (review s22 #26).
  const schemes = values.map((v) => /^(?:[^<]*<)?\s*(sips?|tel):/i.exec(v)?.[1]?.toLowerCase().replace('sips', 'sip'));
  if (values.length === 0 || values.length > 2 || schemes.includes(undefined)) return undefined;
  const ids = values.map(parseFrom);
  if (values.length === 2 && (schemes[0] === schemes[1] || ids[0]!.user !== ids[1]!.user)) return undefined;
  const first = ids[0]!;
  return first.user !== undefined && allowed.has(first.user) ? first : undefined;
}

/** The user part of a sip: Request-URI (the dialled number), percent-decoded. */
export function requestUser(uri: string): string | undefined {
  const m = /^sips?:([^@;?]+)@/i.exec(uri.trim());
  if (!m) return undefined;
  try { return decodeURIComponent(m[1]!); } catch { return undefined; }
}

/** How many characters of the caller's display name and user part reach the desks (the From header is the caller's word). */
export const CALLER_MAX_CHARS = 64;

/** Without control characters, at most CALLER_MAX_CHARS long; undefined when nothing is left. */
function callerText(value: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  const clean = value?.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  return clean ? [...clean].slice(0, CALLER_MAX_CHARS).join('') : undefined;
}

/** The number of a tel: URI (RFC 3966; its parameters dropped), percent-decoded. */
function telNumber(uri: string): string | undefined {
  const m = /^tel:([^;?]+)/i.exec(uri.trim());
  if (!m) return undefined;
  try { return decodeURIComponent(m[1]!); } catch { return undefined; }
}

/** A From (or P-Asserted-Identity) header's user part — a tel: URI's number — and display name, capped and without control characters. */
export function parseFrom(value: string): { user?: string; name?: string } {
  const name = /^\s*"((?:[^"\\]|\\.)*)"/.exec(value)?.[1] ?? /^\s*([^<"]+?)\s*</.exec(value)?.[1];
  const uri = /<([^>]*)>/.exec(value)?.[1] ?? value.split(';')[0]!.trim();
  return { user: callerText(requestUser(uri) ?? telNumber(uri)), name: callerText(name) };
}
