// Deployment keys: created once, private to the gateway's user, stable across starts.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { keyFile } from '../../src/core/index.ts';
import { cardHash } from '../../src/device-hub/cards.ts';

describe('key files', () => {
  it('creates a 0600 key once and returns the same key afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-key-'));
    try {
      const path = join(dir, 'sub', 'card-hash.key');
      const key = keyFile(path);
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(keyFile(path)).toBe(key);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hashes card numbers with the key, so a database copy alone does not reveal them', () => {
    const plain = createHash('sha256').update('hq\u00000401').digest('hex');
    expect(cardHash('key-one-0123456789', 'hq', '0401')).not.toBe(plain);
    expect(cardHash('key-one-0123456789', 'hq', '0401')).not.toBe(cardHash('key-two-0123456789', 'hq', '0401'));
    expect(cardHash('key-one-0123456789', 'hq', '0401')).toBe(cardHash('key-one-0123456789', 'hq', '0401'));
  });
});
