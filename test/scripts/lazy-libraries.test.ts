// Libraries of optional features load only when the feature is configured: a gateway
// without single sign-on never pays for them (issue 16 part 3, idle memory:
// @node-saml/node-saml and its XML stack ~23 MiB, openid-client ~6 MiB). The command
// line's checks load the gateway's libraries neither, from the sources nor from the bundle.
import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerBundle, SERVER_NODE_FLAGS } from '../../scripts/lib/build-server.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
// sip.js (~2.5 MiB heap): loaded by the first SIP account's connect or the door stations' start.
const OPTIONAL = ['openid-client', '@node-saml/node-saml', 'sip.js'];

/** Every bare package specifier the process resolves while importing the gateway's module graph. */
function packagesResolvedByImporting(module: string): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { if (!specifier.startsWith('.') && !specifier.startsWith('node:') && !specifier.startsWith('file:') && !specifier.startsWith('/')) seen.add(specifier); return next(specifier, context); } });
    await import(${JSON.stringify(join(ROOT, module))});
    console.log(JSON.stringify([...seen]));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
}

describe('optional libraries', () => {
  it('are not loaded by importing the gateway', () => {
    const loaded = packagesResolvedByImporting('src/gateway.ts');
    expect(loaded).toContain('mediasoup'); // the hook sees the graph's packages
    expect(loaded.filter((p) => OPTIONAL.includes(p))).toEqual([]);
  });

  /** The bare packages a command line resolves, seen by a resolve hook that reports at exit (whatever the exit code: audit verify without a store is 2). */
  function packagesResolvedByCommand(nodeArgs: string[], args: string[], dataDir: string): string[] {
    const hook = `data:text/javascript,${encodeURIComponent(`
      import { registerHooks } from 'node:module';
      const seen = new Set();
      registerHooks({ resolve(specifier, context, next) { if (!/^(\\.|node:|file:|\\/)/.test(specifier)) seen.add(specifier); return next(specifier, context); } });
      process.on('exit', () => process.stderr.write('RESOLVED ' + JSON.stringify([...seen]) + '\\n'));`)}`;
    const { stderr } = spawnSync(process.execPath, ['--import', hook, ...nodeArgs, ...args], {
      encoding: 'utf8', env: { ...process.env, PORTIER_DATA_DIR: dataDir },
    });
    const line = stderr.split('\n').find((l) => l.startsWith('RESOLVED '));
    expect(line, `${args.join(' ')}: ${stderr}`).toBeDefined();
    return JSON.parse(line!.slice('RESOLVED '.length)) as string[];
  }

  const GATEWAY_ONLY = ['mediasoup', 'fastify', 'socket.io'];

  it('the command line loads the gateway (mediasoup, fastify) only to start it: check-config and audit verify do without', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portier-cli-'));
    try {
      for (const args of [['check-config'], ['audit', 'verify']]) {
        const loaded = packagesResolvedByCommand([join(ROOT, 'src', 'main.ts')], args, dataDir);
        expect(loaded, args.join(' ')).toContain('@sinclair/typebox'); // the hook sees the config's packages
        expect(loaded.filter((p) => GATEWAY_ONLY.includes(p)), args.join(' ')).toEqual([]);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('so does the server bundle `npm run portier` runs: the gateway is a chunk of its own, loaded only to start it (review s23 #9)', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portier-cli-'));
    try {
      const { main } = ensureServerBundle();
      for (const args of [['check-config'], ['audit', 'verify']]) {
        const loaded = packagesResolvedByCommand([...SERVER_NODE_FLAGS, main], args, dataDir);
        expect(loaded, args.join(' ')).toContain('@sinclair/typebox');
        expect(loaded.filter((p) => GATEWAY_ONLY.includes(p)), args.join(' ')).toEqual([]);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
