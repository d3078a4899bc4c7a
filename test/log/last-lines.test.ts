// The gateway logs 'gateway: stopped' (or 'gateway: start failed') and calls process.exit at
// once: whatever the log destination still holds then is lost. Each line must be in the pipe
// or socket (journald, a service manager) before the log call returns, in either format.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LOGGER = join(import.meta.dirname, '..', '..', 'src', 'log', 'logger.ts');
/** More than a pipe or a Unix socket takes at once: the rest of a write that does not wait must queue in the process. */
const BIG = 2 << 20;

/** A process that logs one big line and a last line in `format` to stdout (a pipe), then exits at once; what the reader got. */
async function logAndExit(format: 'json' | 'text'): Promise<{ code: number | null; out: string }> {
  const script = `import { createLogger } from ${JSON.stringify(LOGGER)};
const logger = createLogger({ level: 'info', format: '${format}' });
logger.info({ filler: 'x'.repeat(${BIG}) }, 'big');
logger.info('gateway: stopped');
process.exit(0);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const [code] = await once(child, 'close') as [number | null];
  return { code, out };
}

describe('log lines at exit', () => {
  it.each(['json', 'text'] as const)('a %s line logged just before process.exit reaches the pipe, after a line bigger than the pipe takes', async (format) => {
    const { code, out } = await logAndExit(format);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.length).toBeGreaterThan(BIG);
    expect(lines[1]).toMatch(format === 'json' ? /"msg":"gateway: stopped"/ : /INFO  gateway: stopped$/);
  });
});
