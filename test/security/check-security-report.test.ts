// `portier check-security` prints its report and exits at once: a report longer than the pipe takes at once
// must still reach a slow reader whole (process.exit drops what process.stdout still queues).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'portier-checksec-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Plain SIP accounts, one finding each: a report of several hundred KiB, more than a pipe or socket holds. */
const ACCOUNTS = 3000;

describe('check-security report', () => {
  it('reaches a slow reader whole, then the process exits 1', { timeout: 120_000 }, async () => {
    const config = join(dir, 'many-accounts.yaml');
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `    - { id: pbx${i}, registrar: "pbx${i}.example:5060", username: "100", password: "enc:v1:0011aabb:AAAA", transport: udp }`);
    writeFileSync(config, `sip:\n  accounts:\n${accounts.join('\n')}\n`);
    const env = { ...process.env, PORTIER_DATA_DIR: join(dir, 'data'), PORTIER_DEVICE_HUB__HOST: '127.0.0.1', PORTIER_SECRETS__MASTER_KEY: randomBytes(32).toString('hex') };
    const child = spawn(process.execPath, [MAIN, 'check-security', '--config', config], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    // A slow reader: one chunk, then it lets the child run before it takes the next.
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; child.stdout.pause(); setImmediate(() => child.stdout.resume()); });
    const [code] = await once(child, 'close') as [number | null];
    expect(code).toBe(1);
    expect(out.length).toBeGreaterThan(256 << 10);
    expect(out).toMatch(new RegExp(`^check-security: ${ACCOUNTS} finding\\(s\\) / Befund\\(e\\):\\n`));
    expect(out.match(/^ {2}SIP account pbx\d+ → /gm)).toHaveLength(ACCOUNTS);
    expect(out).toMatch(/ {2}SIP account pbx2999 → pbx2999\.example:5060: [^\n]+\n {4}\([^\n]+\)\n$/);
  });
});
