// RFC 3263 lite for an account's server given as a domain without a port: its SRV
// records (_sip._udp, _sip._tcp or _sips._tcp by the account's transport), ordered
// by priority and, within one priority, by RFC 2782's weighted draw; the domain
// itself (its A/AAAA) when it has none. Names resolve through sip.dns_servers when
// set (else the system's resolver), each address kept for its TTL.
import { Resolver, lookup as systemLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../core/index.ts';
import type { HostPort } from './sip-wire.ts';
import type { SipTransportName } from './settings.ts';

export interface SrvRecord { name: string; port: number; priority: number; weight: number }

/** What a domain resolved to: the servers in the order to try, how long that holds, and whether SRV records named them. */
export interface ResolvedServers { servers: HostPort[]; ttlMs: number; srv: boolean }

export interface SipDnsOptions {
  /** sip.dns_servers ('192.0.2.53', '192.0.2.53:5353', '[2001:db8::53]:53'); empty: the system's resolver. */
  servers: readonly string[];
  clock: Clock;
  /** sip.dns_max_ttl_seconds in ms: the longest a resolution is kept (Node does not report an SRV record's own TTL). */
  maxTtlMs: number;
  /** The weighted draw's dice, [0, 1) (tests fix it). */
  random?: () => number;
}

// SIP over WebSocket has no SRV records (RFC 7118 reaches the server by its URI): such a registrar is never a domain to look up (settings.ts).
const SRV_PREFIX: Record<'udp' | 'tcp' | 'tls', string> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };
/** The name has no such records (or does not exist): RFC 3263 §4.2 falls back to its A/AAAA. */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);
/** A resolution is kept at least this long, whatever the TTL says (a TTL of 0 would ask on every message). */
const MIN_TTL_MS = 1000;

/**
 * RFC 2782's order: lowest priority first; within one priority a weighted draw (weight-0 records first in the
 * running sum, so they are picked only rarely when others weigh something). Target "." (no service) is left out.
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  return priorities.flatMap((priority) => {
    const left = usable.filter((r) => r.priority === priority).sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    const ordered: SrvRecord[] = [];
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      const at = left.findIndex((r) => (running += r.weight) >= pick);
      ordered.push(...left.splice(at < 0 ? left.length - 1 : at, 1));
    }
    return ordered;
  });
}

/** 'ip', 'ip:port' or '[v6]:port' as dns.Resolver.setServers takes it (a bare v6 address as it is). */
function resolverServer(text: string): string {
  return isIP(text) === 6 ? `[${text}]` : text;
}

export class SipDns {
  readonly #opts: SipDnsOptions;
  readonly #resolver = new Resolver({ timeout: 2000, tries: 2 });
  /** Addresses looked up through #resolver, kept for their TTL. */
  readonly #addresses = new Map<string, { address: string; until: number }>();

  constructor(opts: SipDnsOptions) {
    this.#opts = opts;
    if (opts.servers.length > 0) this.#resolver.setServers(opts.servers.map(resolverServer));
  }

  /** Whether names resolve through sip.dns_servers (else the system's resolver and /etc/hosts). */
  get own(): boolean { return this.#opts.servers.length > 0; }

  /**
   * The servers `domain` names for `transport`: its SRV targets in RFC 2782's order, else the domain itself at
   * `defaultPort` (its A/AAAA). `ttlMs`: re-resolve after it — the shortest of the targets' address TTLs, at most
   * sip.dns_max_ttl_seconds. A resolver that fails (times out, SERVFAIL) throws: the caller keeps what it had.
   */
  async servers(domain: string, transport: SipTransportName, defaultPort: number): Promise<ResolvedServers> {
    let records: SrvRecord[];
    if (transport === 'ws' || transport === 'wss') throw new Error(`sip-dns: no SRV lookup over ${transport} (RFC 7118)`);
    try {
      records = await this.#resolver.resolveSrv(`${SRV_PREFIX[transport]}${domain}`);
    } catch (error) {
      if (!NO_RECORDS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      records = [];
    }
    const ordered = orderSrv(records, this.#opts.random);
    const servers = ordered.length > 0 ? ordered.map((r) => ({ host: r.name, port: r.port })) : [{ host: domain, port: defaultPort }];
    const ttls = await Promise.all(servers.map((s) => this.#addressTtl(s.host)));
    const ttlMs = Math.max(MIN_TTL_MS, Math.min(this.#opts.maxTtlMs, ...ttls));
    return { servers, ttlMs, srv: ordered.length > 0 };
  }

  /** One address of `host` (the transports' lookup): through sip.dns_servers and kept for its TTL, else the system's. */
  async lookup(host: string): Promise<string> {
    if (isIP(host) !== 0) return host;
    if (!this.own) return (await systemLookup(host)).address;
    const now = this.#opts.clock.now();
    const kept = this.#addresses.get(host.toLowerCase());
    if (kept && kept.until > now) return kept.address;
    const { address, ttl } = await this.#resolveAddress(host);
    this.#addresses.set(host.toLowerCase(), { address, until: now + Math.max(MIN_TTL_MS, Math.min(this.#opts.maxTtlMs, ttl * 1000)) });
    return address;
  }

  /** Every address of `host` (the inbound trust of the registrar's addresses). */
  async lookupAll(host: string): Promise<string[]> {
    if (isIP(host) !== 0) return [host];
    if (!this.own) return (await systemLookup(host, { all: true })).map((a) => a.address);
    const [v4, v6] = await Promise.all([this.#resolver.resolve4(host).catch(() => []), this.#resolver.resolve6(host).catch(() => [])]);
    return [...v4, ...v6];
  }

  /** The A record (else AAAA) of `host` with its TTL in seconds. */
  async #resolveAddress(host: string): Promise<{ address: string; ttl: number }> {
    const v4 = await this.#resolver.resolve4(host, { ttl: true }).catch((error: NodeJS.ErrnoException) => {
      if (NO_RECORDS.has(error.code ?? '')) return [];
      throw error;
    });
    if (v4[0]) return v4[0];
    const v6 = await this.#resolver.resolve6(host, { ttl: true });
    if (!v6[0]) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENODATA' });
    return v6[0];
  }

  /** The TTL of `host`'s address in ms (an address literal, or a lookup that fails: the longest allowed). */
  async #addressTtl(host: string): Promise<number> {
    if (isIP(host) !== 0) return this.#opts.maxTtlMs;
    const found = await this.#resolveAddress(host).catch(() => undefined);
    return found ? found.ttl * 1000 : this.#opts.maxTtlMs;
  }

  close(): void {
    this.#resolver.cancel();
    this.#addresses.clear();
  }
}
