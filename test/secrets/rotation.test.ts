// A real gateway keeps its key files sealed under the master key; a wrong key stops
// the start with a named error, and a rotation re-encrypts the files at start.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startGateway } from '../support/gateway.ts';
import { SecretBox, parseMasterKey } from '../../src/secrets/index.ts';

const boxOf = (hex: string) => new SecretBox(parseMasterKey(hex, 'test'));

describe('secrets at rest in a running gateway', () => {
  const parent = mkdtempSync(join(tmpdir(), 'portier-rotation-'));
  const dataDir = join(parent, 'data');
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('seals the key files and the local CA keys, refuses a wrong master key at start, and re-encrypts under a new key with the old one as previous', async () => {
    const first = await startGateway({ PORTIER_DATA_DIR: dataDir });
    await first.close();
    const oldKey = readFileSync(join(dataDir, 'master.key'), 'utf8').trim();
    const cardFile = join(dataDir, 'card-hash.key');
    const sealed = readFileSync(cardFile, 'utf8').trim();
    expect(sealed).toMatch(/^enc:v1:/);
    const cardKey = boxOf(oldKey).open(sealed, 'card').value;
    // The local CA's private keys too: sealed, never PEM on disk.
    const tlsKeys = ['ca.key', 'leaf.key'].map((f) => join(dataDir, 'tls', f));
    for (const f of tlsKeys) expect(boxOf(oldKey).open(readFileSync(f, 'utf8'), f).value).toContain('BEGIN PRIVATE KEY');

    const newKey = randomBytes(32).toString('hex');
    await expect(startGateway({ PORTIER_DATA_DIR: dataDir, PORTIER_SECRETS__MASTER_KEY: newKey }))
      .rejects.toThrow(/^secrets failed to start: secrets: key file .*\.key was encrypted with another master key .* than the one from config secrets\.master_key/);

    const rotated = await startGateway({
      PORTIER_DATA_DIR: dataDir, PORTIER_SECRETS__MASTER_KEY: newKey, PORTIER_SECRETS__PREVIOUS_MASTER_KEY_FILES: `[${join(dataDir, 'master.key')}]`,
    });
    await rotated.close();
    // The new key alone opens it now, and the card-hash key itself is unchanged (stored hashes stay valid).
    expect(boxOf(newKey).open(readFileSync(cardFile, 'utf8'), 'card')).toEqual({ value: cardKey, stale: false });
    expect(() => boxOf(oldKey).open(readFileSync(cardFile, 'utf8'), 'card')).toThrow(/another master key/);
    for (const f of tlsKeys) expect(boxOf(newKey).open(readFileSync(f, 'utf8'), f).stale).toBe(false);
  });
});
