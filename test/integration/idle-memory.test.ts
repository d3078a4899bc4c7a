// An idle gateway does not carry what only a request needs (issue 16: idle RSS under 150 MiB).
// Checked on the server bundle that `npm start` runs, in a process of its own.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it, expect } from 'vitest';
import { ensureServerBundle } from '../../scripts/lib/build-server.mjs';
import { startGateway } from '../support/gateway.ts';

/** The Node-internal modules a fresh process has loaded once it imported the gateway's chunk. */
function builtinsAfterImportingTheGateway(): string[] {
  const dir = dirname(ensureServerBundle().main);
  const chunk = readdirSync(dir).find((f) => f.startsWith('gateway-') && f.endsWith('.mjs'))!;
  const script = `await import(${JSON.stringify(pathToFileURL(join(dir, chunk)).href)});
process.stdout.write(JSON.stringify(process.moduleLoadList));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
}

describe('idle memory', () => {
  it('the server bundle is ASCII, so V8 holds its sources one byte a character', () => {
    const dir = dirname(ensureServerBundle().main);
    const modules = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
    expect(modules.length).toBeGreaterThan(2);
    const notAscii = modules.flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/.{0,30}[^\x00-\x7f].{0,10}/g)].map((m) => `${f}: ${m[0]}`));
    expect(notAscii).toEqual([]);
  });

  it("loading the gateway does not load Node's undici (fetch), which nothing at start uses", () => {
    const loaded = builtinsAfterImportingTheGateway();
    expect(loaded).toContain('NativeModule http');
    expect(loaded.filter((m) => m.includes('undici'))).toEqual([]);
  });

  it("builds a route's validators and serializers at its first use, and every route's build", async () => {
    const gw = await startGateway();
    try {
      const { schemas } = gw.gateway.services.web;
      const { registered } = schemas.counts;
      expect(registered).toBeGreaterThan(100);
      expect(schemas.counts.built).toBe(0);
      // A body the schema refuses: the validator is built to refuse it, the 400's serializer to answer.
      const res = await fetch(`${gw.base}/api/first-run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid', reason: 'schema.required', params: { field: 'token' } });
      expect(schemas.counts.built).toBe(2);
      schemas.buildAll();
      expect(schemas.counts).toEqual({ registered, built: registered });
    } finally {
      await gw.close();
    }
  });
});
