// pino JSON logging with secrets redacted and personal data pseudonymised by
// default (a keyed hash: the same person yields the same tag in one deployment,
// and the tag cannot be reversed without the key).
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger, type DestinationStream } from 'pino';

const SECRET_KEYS = ['password', 'secret', 'token', 'authorization', 'cookie', 'key', 'link'];
const PERSONAL_KEYS = ['name', 'displayName', 'display_name', 'email', 'phone', 'number', 'cardNumber', 'card_number', 'login'];

const paths = (keys: string[]): string[] => keys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export type Pseudonymise = (value: string) => string;

/** A keyed hash stored under data_dir, created on first use. */
export function pseudonymiser(dataDir: string): Pseudonymise {
  const file = join(dataDir, 'log-pseudonym.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  const key = readFileSync(file, 'utf8');
  return (value) => `ps_${createHmac('sha256', key).update(value).digest('base64url').slice(0, 12)}`;
}

export interface LoggerOptions {
  level: string;
  pseudonymise?: Pseudonymise;
  destination?: DestinationStream;
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
        log(object: Record<string, unknown>) {
          for (const key of PERSONAL_KEYS) {
            const v = object[key];
            if (typeof v === 'string') object[key] = pseudo(v);
          }
          return object;
        },
      },
    } : {}),
  }, opts.destination ?? pino.destination({ fd: 1, sync: true }));
}
