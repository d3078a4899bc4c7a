// Local accounts: password login, lock-out after repeated failures, sessions,
// and the first-run link that works exactly once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { openServices, type Services } from '../support/services.ts';
import { LockedError, UnauthenticatedError, InvalidError, RateLimitedError } from '../../src/core/index.ts';

const PASSWORD = 'correct horse battery';
const DESK = '192.0.2.10';
const STRANGER = '198.51.100.7';

describe('local accounts', () => {
  let s: Services;
  beforeEach(async () => { s = await openServices(); });
  afterEach(async () => { await s.close(); });

  const createUser = () => s.store.transaction((tx) => s.accounts.create(tx, { login: 'Anna.Host', displayName: 'Anna', password: PASSWORD }));

  it('stores a scrypt hash, signs in and resolves the session', async () => {
    const id = await createUser();
    const row = await s.store.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    const session = await s.accounts.login('anna.host', PASSWORD, DESK);
    expect(await s.accounts.session(session.token)).toBe(id);
    await s.accounts.logout(session.token);
    expect(await s.accounts.session(session.token)).toBeUndefined();
  });

  it('expires a session left idle', async () => {
    await createUser();
    const { token } = await s.accounts.login('anna.host', PASSWORD, DESK);
    s.clock.advance(3_600_001);
    expect(await s.accounts.session(token)).toBeUndefined();
  });

  it('locks an address out of the account after repeated failures, even for the right password, until the lock-out ends; other addresses sign in', async () => {
    await createUser();
    for (let i = 0; i < 3; i++) {
      await expect(s.accounts.login('anna.host', 'wrong password!', STRANGER)).rejects.toBeInstanceOf(UnauthenticatedError);
    }
    await expect(s.accounts.login('anna.host', PASSWORD, STRANGER)).rejects.toBeInstanceOf(LockedError);
    await expect(s.accounts.login('anna.host', PASSWORD, DESK)).resolves.toMatchObject({ userId: expect.any(String) });
    // Her success elsewhere does not unlock the stranger.
    await expect(s.accounts.login('anna.host', PASSWORD, STRANGER)).rejects.toBeInstanceOf(LockedError);
    s.clock.advance(15 * 60_000 + 1);
    await expect(s.accounts.login('anna.host', PASSWORD, STRANGER)).resolves.toMatchObject({ userId: expect.any(String) });
    const denied = await s.audit.list({ action: 'auth.login' });
    expect(denied.filter((e) => e.outcome === 'denied')).toHaveLength(3);
  });

  it('hashes no more parallel wrong guesses than the limit, so bursts cannot get around the lock-out', async () => {
    await createUser();
    const before = s.hasher.computed;
    const burst = () => Promise.all(Array.from({ length: 10 }, () => s.accounts.login('anna.host', 'wrong password!', STRANGER).catch((e: Error) => e)));
    // Two checked at once from one address, the rest refused before hashing…
    const first = await burst();
    expect(first.filter((e) => e instanceof UnauthenticatedError)).toHaveLength(2);
    expect(first.filter((e) => e instanceof RateLimitedError)).toHaveLength(8);
    // …and pending attempts count toward the lock-out: the next burst gets the one left.
    const second = await burst();
    expect(second.filter((e) => e instanceof UnauthenticatedError)).toHaveLength(1);
    expect(s.hasher.computed - before).toBe(3);
    await expect(s.accounts.login('anna.host', PASSWORD, STRANGER)).rejects.toBeInstanceOf(LockedError);
  });

  it('backs off an account guessed from many addresses, but never an address that has not failed on it', async () => {
    await createUser();
    // Three addresses, one failure each: the account reaches the limit.
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      await expect(s.accounts.login('anna.host', 'wrong password!', address)).rejects.toBeInstanceOf(UnauthenticatedError);
    }
    const before = s.hasher.computed;
    const held = await s.accounts.login('anna.host', 'wrong password!', '198.51.100.1').catch((e: Error) => e);
    expect(held).toBeInstanceOf(RateLimitedError);
    expect((held as RateLimitedError).retryAfterSeconds).toBe(1);
    expect(s.hasher.computed).toBe(before);
    // The real user at her desk passes the back-off with the right password.
    await expect(s.accounts.login('anna.host', PASSWORD, DESK)).resolves.toMatchObject({ userId: expect.any(String) });
    // Each further failure doubles the wait.
    s.clock.advance(1000);
    await expect(s.accounts.login('anna.host', 'wrong password!', '198.51.100.1')).rejects.toBeInstanceOf(UnauthenticatedError);
    s.clock.advance(1000);
    const longer = await s.accounts.login('anna.host', 'wrong password!', '198.51.100.2').catch((e: Error) => e);
    expect((longer as RateLimitedError).retryAfterSeconds).toBe(1);
    s.clock.advance(1000);
    await expect(s.accounts.login('anna.host', 'wrong password!', '198.51.100.2')).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('ends a session at its absolute lifetime however much it is used', async () => {
    await createUser();
    const { token } = await s.accounts.login('anna.host', PASSWORD, DESK);
    // Used every 50 minutes: the idle timeout (1 h) never strikes…
    for (let used = 0; used < 28; used++) {
      s.clock.advance(50 * 60_000);
      expect(await s.accounts.session(token)).toEqual(expect.any(String));
    }
    // …but 24 h after sign-in it ends.
    s.clock.advance(50 * 60_000);
    expect(await s.accounts.session(token)).toBeUndefined();
  });

  it('refuses weak passwords', async () => {
    await expect(s.store.transaction((tx) => s.accounts.create(tx, { login: 'bob', displayName: 'Bob', password: 'short' })))
      .rejects.toBeInstanceOf(InvalidError);
  });

  it('creates the first admin on an empty store with a one-time link in a 0600 file that works once', async () => {
    const created = await s.firstRun.ensureAdmin((token) => `https://portier.test/first-run#token=${token}`);
    expect(created).toBeDefined();
    expect(statSync(created!.file).mode & 0o777).toBe(0o600);
    const token = readFileSync(created!.file, 'utf8').trim().split('#token=')[1]!;
    expect(await s.firstRun.ensureAdmin(() => 'x')).toBeUndefined();

    const adminId = await s.firstRun.redeem(token, PASSWORD);
    expect(existsSync(created!.file)).toBe(false);
    await expect(s.accounts.login('admin', PASSWORD, DESK)).resolves.toMatchObject({ userId: adminId });
    expect(await s.roles.can({ type: 'user', id: adminId }, 'user.admin')).toBe(true);
    await expect(s.firstRun.redeem(token, 'another password 1')).rejects.toBeInstanceOf(InvalidError);
    await expect(s.accounts.login('admin', 'another password 1', DESK)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuses an expired first-run link, and issues a new one at the next start', async () => {
    const created = await s.firstRun.ensureAdmin((token) => token);
    s.clock.advance(24 * 3_600_000 + 1);
    await expect(s.firstRun.redeem(created!.link, PASSWORD)).rejects.toThrow(/invalid, expired or already used/);
    const again = await s.firstRun.ensureAdmin((token) => token);
    expect(again).toBeDefined();
    expect(again!.link).not.toBe(created!.link);
    await expect(s.firstRun.redeem(again!.link, PASSWORD)).resolves.toEqual(expect.any(String));
    expect(await s.accounts.count()).toBe(1);
  });
});
