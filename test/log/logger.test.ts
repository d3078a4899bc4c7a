// Logs never carry secrets, and personal data only as a keyed pseudonym.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, pseudonymiser, textDestination, textLine } from '../../src/log/index.ts';

function capture() {
  const lines: Array<Record<string, any>> = [];
  const destination = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
  return { lines, destination };
}

const KEY = 'unit-test-log-pseudonym-key-0123456789';

describe('logger', () => {
  it('redacts secrets and pseudonymises personal data with a stable keyed hash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-log-'));
    try {
      const { lines, destination } = capture();
      const pseudo = pseudonymiser(KEY);
      const log = createLogger({ level: 'info', pseudonymise: pseudo, destination });
      log.info({ password: 'hunter2hunter2', token: 'abc', req: { headers: { cookie: 'portier_session=x' } }, email: 'anna@example.com', name: 'Anna Müller' }, 'x');
      log.info({ email: 'anna@example.com', visitor: { phone: '+49 30 1234567' } }, 'y');
      const [first, second] = lines;
      expect(first!.password).toBe('[redacted]');
      expect(first!.token).toBe('[redacted]');
      expect(first!.req.headers.cookie).toBe('[redacted]');
      expect(first!.email).toMatch(/^ps_/);
      expect(first!.name).toMatch(/^ps_/);
      expect(second!.visitor.phone).toMatch(/^ps_/);
      expect(JSON.stringify(lines)).not.toMatch(/anna|Müller|hunter2|1234567/);
      expect(second!.email).toBe(first!.email);
      expect(pseudonymiser(KEY)('anna@example.com')).toBe(first!.email);
      expect(pseudonymiser('another-key-0123456789')('anna@example.com')).not.toBe(first!.email);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('redacts personal data outright when pseudonymisation is off', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'info', destination }).info({ phone: '+49 30 1234567', user: { email: 'a@b.c' } }, 'z');
    expect(lines[0]!.phone).toBe('[redacted]');
    expect(lines[0]!.user.email).toBe('[redacted]');
  });
});

describe('text lines for a console', () => {
  it('shows time, level, message and fields — already redacted and pseudonymised — instead of JSON', () => {
    const out: string[] = [];
    const logger = createLogger({ level: 'info', pseudonymise: pseudonymiser(KEY), destination: textDestination({ write: (s: string) => out.push(s) }, false) });
    logger.info({ component: 'calls', terminal: 'lobby 1', login: 'anna', password: 'p4ss', outcome: 'answered' }, 'calls: call ended');
    logger.warn({ err: new Error('no door controller online') }, 'door: opening failed');
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d INFO  calls: call ended terminal="lobby 1" login=ps_[\w-]{12} password=\[redacted\] outcome=answered\n$/);
    expect(out[0]).not.toContain('anna');
    expect(out[0]).not.toContain('p4ss');
    expect(out[1]).toMatch(/^\d\d:\d\d:\d\d WARN  door: opening failed\n    Error: no door controller online\n$/);
  });

  it('keeps a line that is not JSON as it is, and colours warnings only when asked', () => {
    expect(textLine('plain text\n', true)).toBe('plain text');
    expect(textLine(JSON.stringify({ level: 40, time: 0, msg: 'x' }), true)).toContain('\x1b[33mWARN \x1b[0m x');
    expect(textLine(JSON.stringify({ level: 40, time: 0, msg: 'x' }), false)).not.toContain('\x1b');
  });
});
