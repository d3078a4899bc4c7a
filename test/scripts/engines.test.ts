// package.json's engines floor covers the Node APIs the gateway calls: a deployment on a
// Node the floor allows must start (review s27 #7: process.getBuiltinModule, Node 22.3).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
/** Node APIs newer than 22.0 that src/ may call, with the 22.x release that brought them. */
const SINCE: Record<string, [number, number]> = { 'process.getBuiltinModule': [22, 3] };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
}

describe('package.json engines', () => {
  it('is at least the Node release of every newer API src/ calls, in package.json and its lock', () => {
    const floor = (range: string): [number, number] => {
      const m = /^>=(\d+)(?:\.(\d+))?/.exec(range);
      if (!m) throw new Error(`engines.node ${range}: not a >= range`);
      return [Number(m[1]), Number(m[2] ?? 0)];
    };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    expect(lock.packages[''].engines.node).toBe(pkg.engines.node);
    const [major, minor] = floor(pkg.engines.node);
    const code = sources(join(ROOT, 'src')).join('\n');
    for (const [api, [needMajor, needMinor]] of Object.entries(SINCE)) {
      if (!code.includes(api)) continue;
      expect(major > needMajor || (major === needMajor && minor >= needMinor), `${api} needs Node ${needMajor}.${needMinor}, engines says ${pkg.engines.node}`).toBe(true);
    }
  });
});
