// Libraries of optional features load only when the feature is configured: a gateway
// without single sign-on never pays for them (issue 16 part 3, idle memory:
// @node-saml/node-saml and its XML stack ~23 MiB, openid-client ~6 MiB).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const OPTIONAL = ['openid-client', '@node-saml/node-saml'];

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
});
