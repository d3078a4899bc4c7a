// Shared helpers for benchmarks: percentiles, RSS of this process and children.
import { readFileSync } from 'node:fs';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Number(sorted[Math.max(0, i)]!.toFixed(3));
}

export function summary(values: number[]): { n: number; p50: number; p99: number; max: number } {
  return { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) };
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid: number = process.pid): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Number((kb / 1024).toFixed(1));
}

export const smoke = process.argv.includes('--smoke');

export function print(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...result, smoke, node: process.version, at: new Date().toISOString() })}\n`);
}

/** CPU time (user + system) a process used so far, in ms, from /proc (clock ticks of 10 ms). */
export function cpuMs(pid: number = process.pid): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Write syscalls (write, writev, sendmsg…) a process made so far, from /proc. */
export function writeCalls(pid: number): number {
  return Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
}
