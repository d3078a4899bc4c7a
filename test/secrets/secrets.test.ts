// Secrets at rest: AES-256-GCM under the master key, the key files under data_dir
// sealed and re-sealed after a rotation, enc:v1 config values, and the CLI.
import { describe, expect, it, afterEach } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { ensureServerBundle, SERVER_NODE_FLAGS } from '../../scripts/lib/build-server.mjs';
import { loadConfig } from '../../src/config/index.ts';
import { SecretBox, SecretsError, loadMasterKeys, sealedKeyFile, openConfigSecrets, parseMasterKey } from '../../src/secrets/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
// The command line as `npm run portier` runs it: the server bundle of the current sources.
const MAIN = ensureServerBundle().main;
const hex = () => randomBytes(32).toString('hex');
const box = (k = hex(), previous: string[] = []) => new SecretBox(parseMasterKey(k, 'test key'), previous.map((p, i) => parseMasterKey(p, `previous ${i}`)));

const dirs: string[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'portier-secrets-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const config = (dataDir: string, env: Record<string, string> = {}) =>
  loadConfig({ configDir: join(ROOT, 'config'), cwd: ROOT, env: { PORTIER_DATA_DIR: dataDir, ...env } });

describe('secret box', () => {
  it('seals with AES-256-GCM so the value does not appear, and opens it again', () => {
    const b = box();
    const sealed = b.seal('pbx-password-4711');
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('4711');
    expect(b.seal('pbx-password-4711')).not.toBe(sealed); // a fresh IV each time
    expect(b.open(sealed, 'x')).toEqual({ value: 'pbx-password-4711', stale: false });
  });

  it('refuses a value sealed under another key with an error naming the key source, and an altered one', () => {
    const sealed = box().seal('secret');
    expect(() => box().open(sealed, 'config sip.accounts[0].password')).toThrow(SecretsError);
    expect(() => box().open(sealed, 'config sip.accounts[0].password')).toThrow(/another master key .* than the one from test key/);
    const k = hex();
    const good = box(k).seal('secret');
    const body = good.slice(good.lastIndexOf(':') + 1);
    const flipped = good.slice(0, good.lastIndexOf(':') + 1) + (body[30] === 'A' ? body.slice(0, 30) + 'B' + body.slice(31) : body.slice(0, 30) + 'A' + body.slice(31));
    expect(() => box(k).open(flipped, 'key file x')).toThrow(/key file x does not open .* \(damaged or altered\)/);
  });

  it('refuses a sealed value whose tag was cut to 4 bytes (only the full 16-byte tag proves it unaltered)', () => {
    const k = hex();
    const sealed = box(k).seal('');
    const cut = sealed.lastIndexOf(':') + 1;
    // iv (12 bytes) and the first 4 bytes of the tag: GCM would accept this truncated tag for the empty value.
    const short = sealed.slice(0, cut) + Buffer.from(sealed.slice(cut), 'base64url').subarray(0, 16).toString('base64url');
    expect(() => box(k).open(short, 'key file x')).toThrow(SecretsError);
    expect(() => box(k).open(short, 'key file x')).toThrow(/key file x does not open .* \(damaged or altered\)/);
  });

  it('opens a value sealed under a previous key and marks it stale', () => {
    const old = hex();
    const sealed = box(old).seal('secret');
    expect(box(hex(), [old]).open(sealed, 'x')).toEqual({ value: 'secret', stale: true });
  });

  it('refuses a master key that is not 32 bytes, naming where it came from', () => {
    expect(() => parseMasterKey('short', 'config secrets.master_key')).toThrow(/master key from config secrets.master_key must be 32 bytes/);
  });
});

describe('master key', () => {
  it('is generated 0600 in data_dir on a fresh install, and read again afterwards', () => {
    const dir = tempDir();
    const first = loadMasterKeys(config(dir));
    expect(first.generated).toBe(join(dir, 'master.key'));
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    const again = loadMasterKeys(config(dir));
    expect(again.generated).toBeUndefined();
    expect(again.box.open(first.box.seal('x'), 'x').value).toBe('x');
  });

  it('comes from secrets.master_key (the environment) without any file, and a named missing file is an error', () => {
    const dir = tempDir();
    const keys = loadMasterKeys(config(dir, { PORTIER_SECRETS__MASTER_KEY: hex() }));
    expect(keys.file).toBeUndefined();
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
    expect(() => loadMasterKeys(config(dir, { PORTIER_SECRETS__MASTER_KEY_FILE: '/nonexistent/portier.key' })))
      .toThrow('secrets: the master key file /nonexistent/portier.key (secrets.master_key_file) does not exist');
  });
});

describe('key files', () => {
  it('seals a key file from before the master key without changing the key', () => {
    const dir = tempDir();
    const path = join(dir, 'card-hash.key');
    const legacy = hex();
    writeFileSync(path, legacy, { mode: 0o600 });
    const b = box();
    expect(sealedKeyFile(path, b)).toEqual({ key: legacy, change: 'encrypted' });
    expect(readFileSync(path, 'utf8')).not.toContain(legacy);
    expect(readFileSync(path, 'utf8')).toMatch(/^enc:v1:/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(sealedKeyFile(path, b)).toEqual({ key: legacy, change: 'none' });
  });

  it('rotation: a new master key with the old one as previous re-encrypts the file, which then opens with the new key alone', () => {
    const dir = tempDir();
    const path = join(dir, 'log-pseudonym.key');
    const oldKey = hex();
    const newKey = hex();
    const created = sealedKeyFile(path, box(oldKey));
    expect(created.change).toBe('created');
    expect(() => sealedKeyFile(path, box(newKey))).toThrow(SecretsError);
    expect(sealedKeyFile(path, box(newKey, [oldKey]))).toEqual({ key: created.key, change: 're-encrypted' });
    expect(sealedKeyFile(path, box(newKey))).toEqual({ key: created.key, change: 'none' });
  });
});

describe('config secrets', () => {
  it('opens enc:v1 values, reports plaintext ones and ones sealed under a previous key', () => {
    const dir = tempDir();
    const oldKey = hex();
    const k = hex();
    const cfg = config(dir, {
      PORTIER_AUTH__OIDC__CLIENT_SECRET: box(oldKey).seal('oidc-secret'),
      PORTIER_SIP__ACCOUNTS: `[{ id: pbx, registrar: 127.0.0.1, username: "100", password: "${box(k).seal('sip-secret')}" }, { id: plain, registrar: 127.0.0.1, username: "101", password: cleartext }]`,
    });
    const opened = openConfigSecrets(cfg, box(k, [oldKey]));
    expect(opened.config.auth.oidc.client_secret).toBe('oidc-secret');
    expect(opened.config.sip.accounts.map((a) => a.password)).toEqual(['sip-secret', 'cleartext']);
    expect(opened.plaintext).toEqual(['sip.accounts[1].password (plain)']);
    expect(opened.stale).toEqual(['auth.oidc.client_secret']);
  });
});

describe('command line', () => {
  // Three process starts one after the other: bounded by what a loaded machine needs, not by a speed.
  it('encrypt-secret seals stdin under the data_dir master key, and start refuses a wrong key with one line naming its source', { timeout: 240_000 }, () => {
    const dir = tempDir();
    const env = { ...process.env, PORTIER_DATA_DIR: dir, PORTIER_LOG__LEVEL: 'silent' };
    const sealed = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, MAIN, 'encrypt-secret'], { env, input: 'pbx-password\n', encoding: 'utf8' });
    expect(sealed.status).toBe(0);
    expect(sealed.stderr).toContain(`generated a new master key in ${join(dir, 'master.key')}`);
    const value = sealed.stdout.trim();
    expect(value).toMatch(/^enc:v1:/);
    expect(loadMasterKeys(config(dir)).box.open(value, 'x').value).toBe('pbx-password');

    const empty = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, MAIN, 'encrypt-secret'], { env, input: '', encoding: 'utf8' });
    expect(empty.status).toBe(64);

    sealedKeyFile(join(dir, 'log-pseudonym.key'), loadMasterKeys(config(dir)).box);
    const wrong = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, MAIN, 'start'], { env: { ...env, PORTIER_SECRETS__MASTER_KEY: hex() }, encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/^portier: secrets: key file .*log-pseudonym.key was encrypted with another master key .* than the one from config secrets.master_key \(PORTIER_SECRETS__MASTER_KEY\)/);
  });

  // Three process starts one after the other: bounded by what a loaded machine needs, not by a speed.
  it('check-config opens every enc:v1 value: a good key passes, a wrong one or none fails naming the value, and no key is generated', { timeout: 240_000 }, () => {
    const dir = tempDir();
    const keys = loadMasterKeys(config(dir));
    const env = { ...process.env, PORTIER_DATA_DIR: dir, PORTIER_LOG__LEVEL: 'silent', PORTIER_AUTH__OIDC__CLIENT_SECRET: keys.box.seal('oidc-secret') };
    const good = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, MAIN, 'check-config'], { env, encoding: 'utf8' });
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(good.stdout).toBe('config ok\n');

    const wrong = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, MAIN, 'check-config'], { env: { ...env, PORTIER_SECRETS__MASTER_KEY: hex() }, encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toContain('auth.oidc.client_secret');

    const empty = tempDir();
    const none = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, MAIN, 'check-config'], { env: { ...env, PORTIER_DATA_DIR: empty }, encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^portier: secrets: no master key to open the configuration's enc:v1 values/);
    expect(existsSync(join(empty, 'master.key'))).toBe(false);
  });
});
