// A listener whose port another program holds: the start error names the
// configuration key (and its environment variable) that chose the port, in one
// line without a stack trace, instead of libuv's "address already in use".
import type { Config } from '../config/index.ts';

/** The port of an "address already in use" failure: Node's listen error, or mediasoup's uv_*_bind/uv_listen message. */
export function clashedPort(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as NodeJS.ErrnoException & { port?: number };
  if (e.code === 'EADDRINUSE' && typeof e.port === 'number') return e.port;
  if (!/address already in use/i.test(e.message)) return undefined;
  const match = /port:\s*(\d+)/.exec(e.message) ?? /:(\d+)\s*$/.exec(e.message);
  return match ? Number(match[1]) : undefined;
}

/**
 * The keys whose fixed port a listener binds (ephemeral ports, 0, clash with nothing configured). `workers`: how
 * many media workers listen on rtc.base_port + i (rtc.workers 0, one per core: up to the schema's 64).
 */
export function portKeys(config: Config, workers = config.rtc.workers > 0 ? config.rtc.workers : 64): Array<{ key: string; ports: number[] }> {
  const keys = [
    { key: 'http.port', ports: [config.http.port] },
    { key: 'https.port', ports: [config.https.port] },
    { key: 'mqtt.tcp.port', ports: [config.mqtt.tcp.port] },
    { key: 'mqtt.tls.port', ports: [config.mqtt.tls.port] },
    // Worker i listens on base_port + i.
    { key: 'rtc.base_port', ports: config.rtc.base_port === 0 ? [] : Array.from({ length: workers }, (_, i) => config.rtc.base_port + i) },
    ...config.sip.accounts.map((a, i) => ({ key: `sip.accounts[${i}].local_port`, ports: a.local_port ? [a.local_port] : [] })),
  ];
  return keys.filter((k) => k.ports.some((p) => p > 0));
}

const envName = (key: string): string => `PORTIER_${key.replace(/\[\d+\]/g, '').replace(/\./g, '__').toUpperCase()}`;

/** One line (EN / DE) naming the key of a port already in use, or undefined when `error` is no such clash. */
export function describePortClash(error: unknown, config: Config): string | undefined {
  const port = clashedPort(error);
  if (port === undefined) return undefined;
  const owner = portKeys(config).find((k) => k.ports.includes(port));
  if (!owner) return `port ${port} is already in use by another program / Port ${port} ist bereits von einem anderen Programm belegt`;
  const env = owner.key.includes('[') ? '' : ` (${envName(owner.key)})`;
  return `port ${port} (${owner.key}) is already in use by another program: stop it or set ${owner.key}${env} to a free port`
    + ` / Port ${port} (${owner.key}) ist bereits belegt: das andere Programm beenden oder ${owner.key} auf einen freien Port setzen`;
}
