// The SIP bridge's settings, read once from the validated config.
import type { Config } from '../config/index.ts';
import type { AudioCodec, DoorCodePolicy } from '../calls/index.ts';
import { codecsOf } from './audio-codecs.ts';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { InvalidError } from '../core/index.ts';
import type { HostPort } from './sip-wire.ts';
import type { SipTimers } from './transactions.ts';
import type { InboundLimits } from './inbound-guard.ts';
import type { StationSettings } from './station-endpoint.ts';
import type { SrtpMode } from './media-security.ts';

/** An account's calls from its PBX: the credentials it answers the challenge with, and what each number rings. */
export interface InboundSettings {
  username: string;
  /** Never logged, never in status(). */
  password: string;
  realm: string;
  sources: string[];
  /** INVITEs from the registrar's/outbound proxy's address and port are trunk calls without a challenge (trust_registrar). */
  trustRegistrar: boolean;
  /** Dialled number → the phone-book entry it rings. */
  numbers: Map<string, { entryId: string }>;
  /** Dialled number → the terminal that answers it by itself, and the callers (From user → name shown) who may reach it. */
  terminals: Map<string, TerminalTarget>;
}

/** A terminal as the target of an inbound number (sip.accounts[].inbound.terminals). */
export interface TerminalTarget {
  terminalId: string;
  /**
   * Caller number → the name the kiosk shows (undefined: the number), and the caller's key for the audit:
   * its configured id (callers[].id, stable across edits; review s22 #20), never its number (review s21 #28).
   */
  callers: Map<string, { name?: string; key: string }>;
}

/** How an account's signalling travels (sip.accounts[].transport). */
export type SipTransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Whether the account's signalling is encrypted: SIP over TLS, or a WebSocket over TLS. */
export const secureTransport = (t: SipTransportName | undefined): boolean => t === 'tls' || t === 'wss';

/** The registrar's port when it names none: 5061 over TLS, 80/443 for a WebSocket, else 5060. */
const DEFAULT_PORTS: Record<SipTransportName, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

/** An account's TLS peer check: the CA its PBX's certificate must chain to, the name it must carry. */
export interface SipTlsSettings {
  /** PEM text of sip.accounts[].tls.ca; undefined: Node's bundled public CAs. */
  ca?: string;
  /** SNI and the certificate's name; '' = the registrar's host. */
  serverName: string;
}

export interface SipAccountSettings {
  id: string;
  /** Default udp. */
  transport?: SipTransportName;
  /** ws/wss: the HTTP path of the WebSocket upgrade, from the registrar's `host:port/path` (default '/'). */
  wsPath?: string;
  tls?: SipTlsSettings;
  /** SRTP with SDES keys on the account's calls (sip.accounts[].srtp; default off; offer/require only with tls). */
  srtp?: SrtpMode;
  registrar: HostPort;
  /**
   * The registrar given as a domain without a port (RFC 3263 §4.2): its SRV records name the servers
   * (sip-dns.ts); `registrar` is then that domain at the default port, what is tried without SRV records.
   */
  registrarDomain?: string;
  /** Servers to fail over to, in order, when the registrar stops answering (sip.accounts[].secondary_registrars). */
  secondaryRegistrars?: HostPort[];
  username: string;
  authUsername: string;
  /** Digest secret; never logged, never in status(). */
  password: string;
  domain: string;
  expiresSeconds: number;
  outboundProxy?: HostPort;
  localPort: number;
  /** What the host who answered one of the account's calls presses to open the door; null: none. */
  doorCode?: DoorCodePolicy | null;
  /** Audio codecs offered and accepted, in order of preference (sip.accounts[].codecs, else sip.codecs); default G.711. */
  codecs?: AudioCodec[];
  inbound?: InboundSettings;
}

export interface SipSettings {
  bindAddress: string;
  /** '' = the local address that routes to each registrar. */
  advertisedAddress: string;
  timers: SipTimers;
  /** Largest inbound message in bytes (sip.max_message_bytes). */
  maxMessageBytes?: number;
  /** Answer requests at their source port (sip.force_rport). */
  forceRport?: boolean;
  keepaliveMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** On a secondary server, the primary must answer every OPTIONS probe this long before the account returns (sip.failback_hold_seconds; default 120 s). */
  failbackHoldMs?: number;
  /** DNS servers for registrars given as a domain (sip.dns_servers; empty or undefined: the system's resolver). */
  dnsServers?: string[];
  /** The longest a registrar domain's resolution is kept (sip.dns_max_ttl_seconds; default 300 s). */
  dnsMaxTtlMs?: number;
  /** Limits of the accounts' sockets for inbound requests (default DEFAULT_INBOUND_LIMITS). */
  inbound?: InboundLimits;
  /** TCP/TLS connections idle this long are closed (sip.stream_idle_seconds; default 180 s). */
  streamIdleMs?: number;
  /** Connections a TCP listener accepts at once (sip.stream_max_connections; default 64). */
  streamMaxConnections?: number;
  /** Of those, connections one source address may hold at once (sip.stream_max_connections_per_source; default 8). */
  streamMaxConnectionsPerSource?: number;
  accounts: SipAccountSettings[];
}

/** The door stations' socket and registrar (sip.stations); undefined: not enabled. */
export function stationSettings(config: Config): StationSettings | undefined {
  const c = config.sip.stations;
  if (!c.enabled) return undefined;
  if (c.max_expires < c.min_expires) throw new InvalidError('sip.stations.max_expires must be at least sip.stations.min_expires / sip.stations.max_expires muss mindestens sip.stations.min_expires sein');
  if (c.transports.length === 0) throw new InvalidError('sip.stations.transports: name at least one of udp, tcp, tls / mindestens eines von udp, tcp, tls nennen');
  return {
    bindAddress: c.bind_address || config.sip.bind_address, port: c.port, advertisedAddress: c.advertised_address,
    realm: c.realm, minExpires: c.min_expires, maxExpires: c.max_expires, maxCalls: c.max_calls, maxCallsTotal: c.max_calls_total,
    transports: [...new Set(c.transports)], tcpPort: c.tcp_port, tlsPort: c.tls_port,
  };
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; port 5060 by default (5061 for TLS). */
export function parseHostPort(value: string, key: string, defaultPort = 5060): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  const port = m?.[3] ? Number(m[3]) : defaultPort;
  if (!m || port < 1 || port > 65535) {
    throw new InvalidError(`${key}: "${value}" is not host[:port] / kein host[:port]`, { reason: 'sip.host-port', params: { key, value } });
  }
  return { host: m[1] ?? m[2]!, port };
}

/** A DNS server as sip.dns_servers names it: an IP address, with a port after it ('[v6]:port' for IPv6) or not. */
function dnsServer(value: string, key: string): string {
  if (isIP(value) !== 0) return value;
  const { host } = parseHostPort(value, key, 53);
  if (isIP(host) === 0) throw new InvalidError(`${key}: "${value}" is not an IP address[:port] / keine IP-Adresse[:Port]`, { reason: 'sip.dns-server', params: { key, value } });
  return value;
}

/** A registrar named by a domain without a port: RFC 3263 §4.2 asks its SRV records which servers (and ports) to use. */
function srvDomain(value: string, server: HostPort): string | undefined {
  return isIP(server.host) === 0 && !/:\d+$/.test(value.trim()) ? server.host : undefined;
}

/** One configured account as the config file (or an admin's record, account-store.ts) spells it. */
export type AccountConfig = Config['sip']['accounts'][number];

/**
 * One account's settings, checked: `at(field)` names a field in errors (`sip.accounts.0.registrar` for the
 * config file, `registrar` for the admin API); `caPem`: the CA as PEM text (an admin's record) instead of tls.ca's file.
 */
export function accountSettings(sip: Config['sip'], a: AccountConfig, at: (field: string) => string, caPem?: string): SipAccountSettings {
  const transport = a.transport ?? 'udp';
  const defaultPort = DEFAULT_PORTS[transport];
  const websocket = transport === 'ws' || transport === 'wss';
  // Over a WebSocket the registrar may name the upgrade's path: host[:port]/path.
  const slash = websocket ? a.registrar.indexOf('/') : -1;
  const registrar = parseHostPort(slash < 0 ? a.registrar : a.registrar.slice(0, slash), at('registrar'), defaultPort);
  const wsPath = websocket ? (slash < 0 ? '/' : a.registrar.slice(slash)) : undefined;
  if (wsPath !== undefined && !/^\/[\w\-.~/%]*$/.test(wsPath)) {
    throw new InvalidError(`${at('registrar')}: "${wsPath}" is not a WebSocket path / kein WebSocket-Pfad`, { reason: 'sip.host-port', params: { key: at('registrar'), value: a.registrar } });
  }
  const code = a.door_code ?? sip.door_code;
  if (a.tls && !secureTransport(transport)) throw new InvalidError(`${at('tls')}: only with transport tls or wss / nur mit transport tls oder wss`, { reason: 'sip.tls-needs-transport', params: { key: at('tls') } });
  const srtp = a.srtp ?? 'off';
  // SDES keys travel inside the SDP: over UDP, TCP or WS anyone on the path could read them.
  if (srtp !== 'off' && !secureTransport(transport)) {
    throw new InvalidError(`${at('srtp')}: "${srtp}" needs transport tls or wss (SDES keys travel in the SDP) / braucht transport tls oder wss`, { reason: 'sip.srtp-needs-tls', params: { key: at('srtp') } });
  }
  const secondaryRegistrars = (a.secondary_registrars ?? []).map((s, j) => parseHostPort(s, at(`secondary_registrars.${j}`), defaultPort));
  // Every request goes through the outbound proxy: which registrar answers is the proxy's business then.
  if (secondaryRegistrars.length > 0 && a.outbound_proxy) {
    throw new InvalidError(`${at('secondary_registrars')}: not with outbound_proxy / nicht zusammen mit outbound_proxy`, { reason: 'sip.secondaries-with-proxy', params: { key: at('secondary_registrars') } });
  }
  if (a.inbound) secondariesAmongSources(registrar, secondaryRegistrars, a.inbound.sources ?? [], at);
  const tls = secureTransport(transport) ? tlsSettings(a.tls, at('tls'), caPem) : undefined;
  const codecs = a.codecs ? codecsOf(a.codecs, at('codecs')) : codecsOf(sip.codecs, 'sip.codecs');
  return {
    transport, wsPath, tls, srtp, codecs,
    doorCode: code === '' ? null : { code, interDigitMs: sip.door_code_digit_timeout_ms, maxWrong: sip.door_code_max_wrong },
    id: a.id, registrar, registrarDomain: a.outbound_proxy || wsPath !== undefined ? undefined : srvDomain(a.registrar, registrar), secondaryRegistrars, username: a.username, authUsername: a.auth_username || a.username, password: a.password,
    domain: a.domain || registrar.host, expiresSeconds: a.expires ?? 300, localPort: a.local_port ?? 0,
    outboundProxy: a.outbound_proxy ? parseHostPort(a.outbound_proxy, at('outbound_proxy'), defaultPort) : undefined,
    inbound: a.inbound ? inboundSettings(a.inbound, at('inbound'), transport) : undefined,
  };
}

export function sipSettings(config: Config): SipSettings {
  const sip = config.sip;
  const ids = new Set<string>();
  const accounts = sip.accounts.filter((a) => a.enabled !== false).map((a, i): SipAccountSettings => {
    if (ids.has(a.id)) throw new InvalidError(`sip.accounts.${i}.id: "${a.id}" is used twice / doppelt vergeben`);
    ids.add(a.id);
    return accountSettings(sip, a, (field) => `sip.accounts.${i}.${field}`);
  });
  if (sip.t2_ms < sip.t1_ms) throw new InvalidError('sip.t2_ms must be at least sip.t1_ms / sip.t2_ms muss mindestens sip.t1_ms sein');
  // Over TLS the registrar reaches Portier on Portier's own connection: closed idle between keep-alives, inbound calls cannot arrive.
  if (sip.stream_idle_seconds <= sip.keepalive_seconds) {
    throw new InvalidError('sip.stream_idle_seconds must be above sip.keepalive_seconds / sip.stream_idle_seconds muss über sip.keepalive_seconds liegen');
  }
  return {
    bindAddress: sip.bind_address, advertisedAddress: sip.advertised_address,
    timers: { t1Ms: sip.t1_ms, t2Ms: sip.t2_ms, maxCachedResponses: sip.max_cached_responses },
    maxMessageBytes: sip.max_message_bytes, forceRport: sip.force_rport,
    keepaliveMs: sip.keepalive_seconds * 1000,
    retryMinMs: sip.retry_min_seconds * 1000,
    retryMaxMs: Math.max(sip.retry_min_seconds, sip.retry_max_seconds) * 1000,
    failbackHoldMs: sip.failback_hold_seconds * 1000,
    dnsServers: sip.dns_servers.map((server, i) => dnsServer(server, `sip.dns_servers.${i}`)),
    dnsMaxTtlMs: sip.dns_max_ttl_seconds * 1000,
    inbound: {
      ratePerMinute: sip.inbound.rate_per_minute, burst: sip.inbound.burst,
      maxSources: sip.inbound.max_sources, nonceTtlMs: sip.inbound.nonce_seconds * 1000,
      maxCalls: sip.inbound.max_calls, busyRetrySeconds: sip.inbound.busy_retry_seconds, refusalLogMs: sip.inbound.refusal_log_seconds * 1000,
    },
    streamIdleMs: sip.stream_idle_seconds * 1000, streamMaxConnections: sip.stream_max_connections,
    streamMaxConnectionsPerSource: sip.stream_max_connections_per_source,
    accounts,
  };
}

type InboundConfig = NonNullable<Config['sip']['accounts'][number]['inbound']>;

/** A dialled number: digits, `+`, `*`, `#` and the characters an extension name has. */
const NUMBER = /^[+]?[\w*#.-]{1,32}$/;

/** A number that is none (reason sip.inbound-number), or one listed twice (sip.inbound-number-twice): `key` names where. */
const badNumber = (key: string, number: string) => new InvalidError(`${key}: "${number}" is not a number or extension / keine Rufnummer oder Durchwahl`, { reason: 'sip.inbound-number', params: { key, number } });
const numberTwice = (key: string, number: string) => new InvalidError(`${key}: "${number}" is listed twice / doppelt aufgeführt`, { reason: 'sip.inbound-number-twice', params: { key, number } });

function inboundSettings(c: InboundConfig, key: string, transport: SipTransportName): InboundSettings {
  if (c.password === '') {
    throw new InvalidError(`${key}.password: empty — the PBX must authenticate / leer — die TK-Anlage muss sich anmelden`, { reason: 'sip.inbound-password', params: { key: `${key}.password` } });
  }
  const numbers = new Map<string, { entryId: string }>();
  c.numbers.forEach((n, j) => {
    if (!NUMBER.test(n.number)) throw badNumber(`${key}.numbers.${j}.number`, n.number);
    if (numbers.has(n.number)) throw numberTwice(`${key}.numbers.${j}.number`, n.number);
    numbers.set(n.number, { entryId: n.entry });
  });
  const terminals = new Map<string, TerminalTarget>();
  (c.terminals ?? []).forEach((t, j) => {
    const at = `${key}.terminals.${j}`;
    if (!NUMBER.test(t.number)) throw badNumber(`${at}.number`, t.number);
    if (numbers.has(t.number) || terminals.has(t.number)) throw numberTwice(`${at}.number`, t.number);
    const callers = new Map<string, { name?: string; key: string }>();
    const ids = new Set<string>();
    t.callers.forEach((caller, k) => {
      if (!NUMBER.test(caller.number)) throw badNumber(`${at}.callers.${k}.number`, caller.number);
      if (ids.has(caller.id)) {
        throw new InvalidError(`${at}.callers.${k}.id: "${caller.id}" is used twice / doppelt vergeben`, { reason: 'sip.inbound-caller-twice', params: { key: `${at}.callers.${k}.id`, id: caller.id } });
      }
      if (callers.has(caller.number)) throw numberTwice(`${at}.callers.${k}.number`, caller.number);
      ids.add(caller.id);
      // The audit names the caller by this id: it stays when the list is edited or reordered (a position would not, review s22 #20).
      callers.set(caller.number, { name: caller.name, key: caller.id });
    });
    terminals.set(t.number, { terminalId: t.terminal, callers });
  });
  for (const [j, s] of (c.sources ?? []).entries()) {
    if (isIP(s) === 0) throw new InvalidError(`${key}.sources.${j}: "${s}" is not an IP address / keine IP-Adresse`, { reason: 'sip.inbound-source', params: { key: `${key}.sources.${j}`, source: s } });
  }
  if (terminals.size > 0) terminalsNeedTrustedCallers(c, key, transport);
  return { username: c.username, password: c.password, realm: c.realm ?? 'portier', sources: c.sources ?? [], numbers, terminals, trustRegistrar: c.trust_registrar ?? false };
}

/**
 * A terminal's number opens a lobby's camera and microphone: who calls is taken only from the P-Asserted-Identity
 * of the PBX's own addresses (`sources`), never from a From header anyone can set (review s21 #1); and a forged
 * datagram from the registrar's address must not reach it past the challenge (trust_registrar only over TLS; #35).
 */
function terminalsNeedTrustedCallers(c: InboundConfig, key: string, transport: SipTransportName): void {
  if ((c.sources ?? []).length === 0) {
    throw new InvalidError(`${key}.sources: must list the PBX's addresses when ${key}.terminals is set (the caller is taken from their P-Asserted-Identity) / `
      + `muss die Adressen der TK-Anlage nennen, wenn ${key}.terminals gesetzt ist (der Anrufer wird deren P-Asserted-Identity entnommen)`,
    { reason: 'sip.inbound-terminals-need-sources', params: { key: `${key}.sources` } });
  }
  if (c.trust_registrar && !secureTransport(transport)) {
    throw new InvalidError(`${key}.trust_registrar: only with transport tls or wss when ${key}.terminals is set (a forged UDP/TCP source would skip the challenge) / `
      + `nur mit transport tls oder wss, wenn ${key}.terminals gesetzt ist (eine gefälschte UDP/TCP-Quelle umginge die Anmeldung)`,
    { reason: 'sip.inbound-trust-needs-tls', params: { key: `${key}.trust_registrar` } });
  }
}

/** An IP address in one spelling (IPv6 compressed, lower case), so `fd00:0::2` and `fd00::2` compare equal. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/**
 * inbound.sources that list the registrar's address say the PBX calls from the servers it registers at:
 * then a secondary given as an address must be listed too — after a failover its INVITEs would be refused
 * 403 foreign-source, every inbound call with them (review s22 #23). Sources without the registrar (the PBX
 * calls from other addresses, an SBC) and servers given by name (resolved only at start) are not compared.
 */
function secondariesAmongSources(registrar: HostPort, secondaries: HostPort[], sources: string[], at: (field: string) => string): void {
  const listed = new Set(sources.filter((s) => isIP(s) !== 0).map(canonicalIp));
  if (isIP(registrar.host) === 0 || !listed.has(canonicalIp(registrar.host))) return;
  secondaries.forEach((s, j) => {
    if (isIP(s.host) === 0 || listed.has(canonicalIp(s.host))) return;
    throw new InvalidError(`${at('inbound.sources')}: lists the registrar ${registrar.host} but not ${at(`secondary_registrars.${j}`)} (${s.host}) — its calls would be refused after a failover / `
      + `nennt den Registrar ${registrar.host}, aber nicht ${at(`secondary_registrars.${j}`)} (${s.host}) — dessen Anrufe würden nach einem Wechsel abgewiesen`,
    { reason: 'sip.secondary-not-source', params: { key: at('inbound.sources'), server: s.host } });
  });
}

type TlsConfig = Config['sip']['accounts'][number]['tls'];

/** The CA file is read once here: a path that cannot be read or holds no certificate stops the start, naming the key. */
function tlsSettings(c: TlsConfig, key: string, caPem?: string): SipTlsSettings {
  const file = c?.ca ?? '';
  let ca: string | undefined;
  if (caPem !== undefined && caPem !== '') {
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new InvalidError(`${key}.ca: holds no PEM certificate / enthält kein PEM-Zertifikat`, { reason: 'sip.ca-not-pem', params: { key: `${key}.ca` } });
    ca = caPem;
  } else if (file !== '') {
    try {
      ca = readFileSync(file, 'utf8');
    } catch (error) {
      throw new InvalidError(`${key}.ca: cannot read "${file}" (${(error as NodeJS.ErrnoException).code}) / nicht lesbar`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new InvalidError(`${key}.ca: "${file}" holds no PEM certificate / enthält kein PEM-Zertifikat`);
  }
  return { ca, serverName: c?.server_name ?? '' };
}
