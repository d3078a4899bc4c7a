// Log lines for a person at a terminal: `12:04:05 INFO  sfu: worker ready worker=0 pid=123`
// instead of pino's JSON (kept for journald, files and pipes). The JSON line pino
// wrote (already redacted and pseudonymised) is reformatted, so nothing else changes.
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
/** pino's own fields, shown by the line's shape rather than as key=value. */
const OWN = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'component']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One human-readable line (no trailing newline) from one pino JSON line; a line that is not JSON is kept as it is. */
export function textLine(json: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toTimeString().slice(0, 8);
  const fields = Object.entries(entry).filter(([k, v]) => !OWN.has(k) && k !== 'err' && v !== undefined).map(([k, v]) => `${k}=${value(v)}`);
  const err = entry.err as { type?: string; message?: string; stack?: string } | undefined;
  const tag = `${colour ? COLOURS[level] ?? '' : ''}${LEVELS[level] ?? String(level)}${colour && COLOURS[level] ? '\x1b[0m' : ''}`;
  const lines = [`${time} ${tag} ${String(entry.msg ?? '')}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}`];
  // The error's type and message on their own line; its stack stays in the JSON format.
  if (err) lines.push(`    ${err.type ?? 'Error'}: ${err.message ?? ''}`);
  return lines.join('\n');
}

/** A pino destination writing text lines to `out` (the gateway's own on stdout formats them in stdout-destination.ts). */
export function textDestination(out: { write(s: string): unknown }, colour: boolean): DestinationStream {
  return { write: (line: string) => { out.write(`${textLine(line, colour)}\n`); } };
}
