// A fixed port inside the kernel's range for outgoing connections.
//
// Linux gives every outgoing TCP connection and every socket bound to port 0 a
// local port from net.ipv4.ip_local_port_range (32768–60999 by default) — and
// rtc.base_port's default 40000 lies in it. At boot the port is free; but when a
// media worker dies, its replacement binds the same port again, and if an
// outgoing connection (the SIP trunk over TCP, Microsoft Graph, a webhook, the
// database) holds it by then, the replacement fails until that connection ends
// — the slot stays down, /ready says degraded. The test suite hit exactly this
// (a worker's port taken by another test's connection). Ports listed in
// net.ipv4.ip_local_reserved_ports are never handed out: the start warns about
// every fixed port in the range that is not reserved, with the line to fix it
// (deploy/sysctl-portier.conf reserves the default's 40000–40063).
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { portKeys } from './port-clash.ts';

export interface PortRange { low: number; high: number }

export const KERNEL_FILES = {
  range: '/proc/sys/net/ipv4/ip_local_port_range',
  reserved: '/proc/sys/net/ipv4/ip_local_reserved_ports',
};

/** "32768\t60999" → the range; undefined when unreadable (not Linux, no /proc). */
export function parseRange(text: string): PortRange | undefined {
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return Number.isInteger(low) && Number.isInteger(high) && low! <= high! ? { low: low!, high: high! } : undefined;
}

/** "40000-40063,5060" → those ports' ranges (the kernel's list format; empty: none). */
export function parseReserved(text: string): PortRange[] {
  return text.trim().split(',').filter((part) => part.trim() !== '').flatMap((part) => {
    const [low, high = low] = part.trim().split('-').map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? [{ low: low!, high: high! }] : [];
  });
}

export interface ExposedPorts { key: string; ports: number[] }

/** The configured fixed ports (per key) that the kernel may hand to an outgoing connection. */
export function exposedPorts(config: Config, workers: number, range: PortRange, reserved: PortRange[]): ExposedPorts[] {
  const inRange = (p: number) => p >= range.low && p <= range.high && !reserved.some((r) => p >= r.low && p <= r.high);
  return portKeys(config, workers)
    .map(({ key, ports }) => ({ key, ports: ports.filter(inRange) }))
    .filter((k) => k.ports.length > 0);
}

/** The ranges as the kernel's reserved list writes them: sorted, overlapping and adjacent ones joined ("40000-40001,45000"). */
export function rangeList(ranges: PortRange[]): string {
  const sorted = [...ranges].sort((a, b) => a.low - b.low);
  const joined: PortRange[] = [];
  for (const r of sorted) {
    const last = joined.at(-1);
    if (last && r.low <= last.high + 1) last.high = Math.max(last.high, r.high);
    else joined.push({ ...r });
  }
  return joined.map((r) => (r.low === r.high ? String(r.low) : `${r.low}-${r.high}`)).join(',');
}

const asRanges = (ports: number[]): PortRange[] => ports.map((p) => ({ low: p, high: p }));

/**
 * One line (EN / DE) naming the keys whose ports lie in the range and the sysctl that reserves them (what is
 * reserved already kept: the setting replaces the list).
 */
export function describeExposed(exposed: ExposedPorts[], range: PortRange, reserved: PortRange[]): string {
  const keys = exposed.map((e) => `${e.key} (${rangeList(asRanges(e.ports))})`).join(', ');
  const all = rangeList([...reserved, ...exposed.flatMap((e) => asRanges(e.ports))]);
  const fix = `sysctl -w net.ipv4.ip_local_reserved_ports=${all}`;
  return `config: ports of ${keys} lie in the kernel's range for outgoing connections (${range.low}-${range.high}): `
    + `an outgoing connection can take one while its listener restarts (a media worker's replacement then fails); `
    + `reserve them: ${fix} and keep it in /etc/sysctl.d/ (deploy/sysctl-portier.conf)`
    + ` / Ports von ${keys} liegen im Bereich des Kernels für ausgehende Verbindungen (${range.low}-${range.high}): `
    + `eine ausgehende Verbindung kann einen belegen, während sein Dienst neu startet (dann scheitert der Ersatz eines Medien-Workers); `
    + `reservieren: ${fix} und in /etc/sysctl.d/ festhalten (deploy/sysctl-portier.conf)`;
}

/** The start's warning (undefined: none), where /proc can be read. */
export function ephemeralPortWarning(config: Config, workers: number, files = KERNEL_FILES): string | undefined {
  const read = (path: string): string | undefined => {
    try { return readFileSync(path, 'utf8'); } catch { return undefined; }
  };
  const rangeText = read(files.range);
  const range = rangeText === undefined ? undefined : parseRange(rangeText);
  if (!range) return undefined;
  const reserved = parseReserved(read(files.reserved) ?? '');
  const exposed = exposedPorts(config, workers, range, reserved);
  return exposed.length > 0 ? describeExposed(exposed, range, reserved) : undefined;
}
