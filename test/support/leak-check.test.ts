// The 'shared' project's leak check (review s22 #13): a file that leaves a server
// running fails by name, a tidy file beside it in the same process passes.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftOver } from './leak-check.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('shared project leak check', () => {
  it('counts what is active beyond the start, by kind', () => {
    expect(leftOver({ TCPServerWrap: 1, Timeout: 2 }, { TCPServerWrap: 3, Timeout: 2, UDPWrap: 1 })).toEqual(['1 UDPWrap', '2 TCPServerWrap']);
    expect(leftOver({ TCPServerWrap: 2 }, { TCPServerWrap: 1 })).toEqual([]);
  });

  it('fails a file that leaves a server listening, naming it and what it left; the tidy file in the same process passes', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'test/fixtures/leak-check/vitest.config.ts'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1', LEAK_SETTLE_MS: '1000' }, timeout: 120_000,
    });
    const out = run.stdout + run.stderr;
    expect(run.status, out).toBe(1);
    expect(out).toMatch(/test\/fixtures\/leak-check\/leaky\.leak\.ts left running after its last test: 1 TCPServerWrap/);
    expect(out).not.toMatch(/tidy\.leak\.ts left running/);
    expect(out).toMatch(/✓ .*tidy\.leak\.ts/);
    expect(out).toMatch(/Test Files +1 failed \| 1 passed \(2\)/);
  });
});
