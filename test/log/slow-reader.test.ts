// Whoever reads the gateway's stdout (journald under pressure, a paused `| less`, a stuck container log
// driver) may be slow or stop: the gateway must neither crash nor stall its calls then. Lines that do not
// fit are dropped and counted, one warning says how many once the reader is back, and the last lines at a
// stop still reach the pipe when it can take them; a stopped reader cannot hang the exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LOGGER = join(import.meta.dirname, '..', '..', 'src', 'log', 'logger.ts');
/** Far more than a pipe or socket and the logger's buffer take while nobody reads. */
const FLOOD_BYTES = 24 << 20;
/** A bound against a hang, not a measurement: a 10 ms timer in the child fires within this. */
const LATE_BOUND_MS = 2000;

/**
 * A child that floods its logger (createLogger, `format`) with stdout unread, measuring how late a 10 ms timer
 * fires between bursts; it reports `filled <worst lateness>` on stderr. Then, on `resume` from stdin, it logs a
 * tick every 10 ms; on `stop` it logs 'gateway: stopped' and exits 0 at once, as main.ts does.
 */
function floodingChild(format: 'json' | 'text'): ChildProcess {
  const script = `import { createLogger } from ${JSON.stringify(LOGGER)};
const logger = createLogger({ level: 'info', format: '${format}' });
const filler = 'x'.repeat(1000);
let worst = 0, logged = 0, ticking;
const burst = () => {
  const due = performance.now() + 10;
  setTimeout(() => {
    worst = Math.max(worst, performance.now() - due);
    for (let i = 0; i < 256; i += 1) { logger.info({ filler }, 'filler'); logged += 1100; }
    if (logged < ${FLOOD_BYTES}) burst();
    else process.stderr.write('filled ' + Math.round(worst) + '\\n');
  }, 10);
};
burst();
process.stdin.setEncoding('utf8').on('data', (d) => {
  if (d.includes('resume')) ticking = setInterval(() => logger.info('tick'), 10);
  if (d.includes('stop')) { clearInterval(ticking); logger.info('gateway: stopped'); process.exit(0); }
});`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves with the child's stderr line starting with `prefix`; rejects when the child exits first or does not say it within `boundMs`. */
function said(child: ChildProcess, prefix: string, boundMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    const guard = setTimeout(() => reject(new Error(`child did not say "${prefix}" within ${boundMs} ms (hung?); stderr: ${err.slice(-500)}`)), boundMs);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const line = err.split('\n').find((l) => l.startsWith(prefix));
      if (line) { clearTimeout(guard); resolve(line); }
    });
    child.once('exit', (code) => { clearTimeout(guard); reject(new Error(`child exited (${code}) before "${prefix}"; stderr: ${err.slice(-500)}`)); });
  });
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

describe('a slow or stopped reader of stdout', () => {
  it.each(['json', 'text'] as const)('%s: the logger drops and counts lines instead of crashing or blocking, warns once the reader is back and still writes the last line', async (format) => {
    const child = floodingChild(format);
    try {
      // Nobody reads stdout while the child floods it.
      child.stdout!.pause();
      const filled = await said(child, 'filled', 20_000);
      expect(Number(filled.split(' ')[1])).toBeLessThan(LATE_BOUND_MS);

      let out = '';
      const warned = new Promise<void>((resolve) => {
        child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; if (/lines dropped/.test(out)) resolve(); });
      });
      child.stdout!.resume();
      child.stdin!.write('resume\n');
      await warned;
      child.stdin!.write('stop\n');
      const [code] = await once(child, 'close') as [number | null];
      expect(code).toBe(0);

      const lines = out.trimEnd().split('\n');
      const warnings = lines.filter((l) => /lines dropped/.test(l));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/log: \d+ lines dropped, the reader of stdout was too slow \/ \d+ Zeilen verworfen/);
      expect(Number(/(\d+) lines dropped/.exec(warnings[0]!)![1])).toBeGreaterThan(0);
      if (format === 'json') expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, dropped: expect.any(Number) });
      else expect(warnings[0]).toMatch(/^\d\d:\d\d:\d\d WARN  log: /);
      expect(lines.at(-1)).toMatch(format === 'json' ? /"msg":"gateway: stopped"/ : /INFO  gateway: stopped$/);
    } finally {
      kill(child);
    }
  }, 40_000);

  it.each(['json', 'text'] as const)('%s: a reader that never resumes cannot hang the exit', async (format) => {
    const child = floodingChild(format);
    try {
      child.stdout!.pause();
      await said(child, 'filled', 20_000);
      child.stdin!.write('stop\n');
      const exited = once(child, 'exit') as Promise<[number | null]>;
      const guard = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('exit hung on a stopped reader')), 10_000).unref());
      const [code] = await Promise.race([exited, guard]);
      expect(code).toBe(0);
    } finally {
      kill(child);
    }
  }, 40_000);
});
