// pino JSON logging with secrets redacted and personal data pseudonymised by
// default (a keyed hash: the same person yields the same tag in one deployment,
// and the tag cannot be reversed without the key).
import { createHmac } from 'node:crypto';
import pino, { type Logger, type DestinationStream } from 'pino';
import { textLine } from './text-format.ts';
import { StdoutDestination } from './stdout-destination.ts';

const SECRET_KEYS = ['password', 'secret', 'token', 'authorization', 'cookie', 'key', 'link'];
const PERSONAL_KEYS = ['name', 'displayName', 'display_name', 'email', 'phone', 'number', 'cardNumber', 'card_number', 'login'];

const paths = (keys: string[]): string[] => keys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export type Pseudonymise = (value: string) => string;

/** A keyed hash; the key is <data_dir>/log-pseudonym.key, sealed under the master key (src/secrets, read by main). */
export function pseudonymiser(key: string): Pseudonymise {
  return (value) => `ps_${createHmac('sha256', key).update(value).digest('base64url').slice(0, 12)}`;
}

const PERSONAL = new Set(PERSONAL_KEYS);

/** Replaces personal string fields, down to three levels, with their pseudonym. */
function pseudonymiseTree(object: Record<string, unknown>, pseudo: Pseudonymise, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (typeof value === 'string' && PERSONAL.has(key)) out[key] = pseudo(value);
    else if (depth < 3 && value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error)) {
      out[key] = pseudonymiseTree(value as Record<string, unknown>, pseudo, depth + 1);
    } else out[key] = value;
  }
  return out;
}

export interface LoggerOptions {
  level: string;
  pseudonymise?: Pseudonymise;
  destination?: DestinationStream;
  /** `text`: human-readable lines on stdout (a terminal); `json` (default): one JSON object per line. */
  format?: 'json' | 'text';
}

/**
 * Both formats write to fd 1 at once when the pipe or socket has room: a line is there when the log call
 * returns, so process.exit right after 'gateway: stopped' loses nothing (and the exit writes what is still
 * buffered, within a bound). A slow or stopped reader never blocks the gateway: see stdout-destination.ts.
 */
function defaultDestination(format: LoggerOptions['format']): DestinationStream {
  // Touching process.stdout makes Node set a pipe's or socket's fd 1 non-blocking: a full pipe is EAGAIN, not a wait.
  const colour = process.stdout.isTTY === true;
  return new StdoutDestination(format === 'text' ? { format: (json) => `${textLine(json, colour)}\n` } : {});
}

export function createLogger(opts: LoggerOptions): Logger {
  const pseudo = opts.pseudonymise;
  return pino({
    level: opts.level,
    base: { service: 'portier' },
    redact: {
      paths: [...paths(SECRET_KEYS), ...(pseudo ? [] : paths(PERSONAL_KEYS))],
      censor: '[redacted]',
    },
    ...(pseudo ? {
      formatters: {
        log: (object: Record<string, unknown>) => pseudonymiseTree(object, pseudo, 0),
      },
    } : {}),
  }, opts.destination ?? defaultDestination(opts.format));
}
