// Sign-in under attack, against a started gateway with real HTTP clients bound
// to different loopback addresses: floods are refused before any password is
// hashed, parallel guesses cannot outrun the lock-out, a stranger cannot lock
// out the real user, and unknown and locked accounts answer alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient, type ApiResponse } from '../support/gateway.ts';

const ADMIN_PASSWORD = 'admin password 123';
const PASSWORD = 'reception password 1';

describe('sign-in limits', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  const hashed = () => gw.gateway.services.hasher.computed;
  const from = (address: string) => new ApiClient(gw.base, { localAddress: address });
  const login = (address: string, name: string, password: string) => from(address).post('/api/auth/login', { login: name, password });
  const createUser = async (name: string) => {
    const res = await admin.post('/api/users', { login: name, displayName: name, password: PASSWORD });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };
  const statuses = (rs: ApiResponse[]) => rs.reduce<Record<number, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});

  beforeAll(async () => {
    gw = await startGateway();
    expect((await new ApiClient(gw.base).post('/api/first-run', { token: gw.firstRunToken(), password: ADMIN_PASSWORD })).status).toBe(200);
    admin = new ApiClient(gw.base);
    expect((await admin.post('/api/auth/login', { login: 'admin', password: ADMIN_PASSWORD })).status).toBe(200);
  });
  afterAll(async () => { await gw?.close(); });

  it('answers a flood of bogus sign-ins from one address with 429 and Retry-After before hashing, and a real sign-in from elsewhere still works', async () => {
    const limit = gw.gateway.config.auth.address_attempts_per_minute;
    const before = hashed();
    const flood = await Promise.all(Array.from({ length: 100 }, (_, i) => login('127.0.0.3', `nobody-${i}`, 'not a password at all')));
    const refused = flood.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(100 - limit);
    for (const r of refused) {
      expect(r.body.error).toBe('rate-limited');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Only admitted attempts reached the hasher (each unknown login verifies a dummy hash).
    expect(hashed() - before).toBe(flood.length - refused.length);
    expect(hashed() - before).toBeLessThanOrEqual(limit);

    await createUser('rita');
    expect((await login('127.0.0.4', 'rita', PASSWORD)).status).toBe(200);
  });

  it('refuses an address that used up its failed sign-ins of the minute, even with a correct password', async () => {
    const limit = gw.gateway.config.auth.address_attempts_per_minute;
    await createUser('rolf');
    for (let i = 0; i < limit; i++) expect((await login('127.0.0.12', `guess-${i}`, 'not a password at all')).status).toBe(401);
    const before = hashed();
    const refused = await login('127.0.0.12', 'rolf', PASSWORD);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(hashed()).toBe(before);
    expect((await login('127.0.0.13', 'rolf', PASSWORD)).status).toBe(200);
  });

  it('hashes at most max_failed_logins of bursts of 60 parallel wrong passwords; that address is then locked out, the real user from another address signs in', async () => {
    const max = gw.gateway.config.auth.max_failed_logins;
    await createUser('rezeption');
    const before = hashed();
    // Bursts of 60 parallel guesses until the address is locked out.
    const answered: ApiResponse[] = [];
    for (let burst = 0; burst <= max && !answered.some((r) => r.status === 423); burst++) {
      answered.push(...await Promise.all(Array.from({ length: 60 }, (_, i) => login('127.0.0.5', 'rezeption', `wrong guess number ${i}`))));
    }
    expect(answered.some((r) => r.status === 423), JSON.stringify(statuses(answered))).toBe(true);
    expect(hashed() - before).toBe(max);
    expect(answered.filter((r) => r.status === 401)).toHaveLength(max);
    expect(answered.filter((r) => r.status !== 401).every((r) => r.status === 423 || r.status === 429), JSON.stringify(statuses(answered))).toBe(true);

    const again = hashed();
    const locked = await login('127.0.0.5', 'rezeption', PASSWORD);
    expect(locked.status).toBe(423);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(hashed()).toBe(again);
    // A stranger's guesses do not lock the receptionist out of her own desk.
    expect((await login('127.0.0.6', 'rezeption', PASSWORD)).status).toBe(200);
    // …and her success does not unlock the guessing address.
    expect((await login('127.0.0.5', 'rezeption', PASSWORD)).status).toBe(423);
  });

  it('answers unknown and locked accounts alike', async () => {
    const max = gw.gateway.config.auth.max_failed_logins;
    await createUser('hanna');
    const answers = async (name: string) => {
      const seen: ApiResponse[] = [];
      for (let i = 0; i <= max; i++) seen.push(await login('127.0.0.7', name, 'wrong password 123'));
      return seen.map((r) => ({ status: r.status, body: r.body, retryAfter: r.headers.get('retry-after') !== null }));
    };
    const known = await answers('hanna');
    const unknown = await answers('no-such-user');
    expect(known).toEqual(unknown);
    expect(known[0]!.status).toBe(401);
    expect(known[max]!.status).toBe(423);
    expect(JSON.stringify(known)).not.toContain('hanna');
  });

  it('ignores X-Forwarded-For unless web.trust_proxy names the proxy', async () => {
    const limit = gw.gateway.config.auth.address_attempts_per_minute;
    const forged = await Promise.all(Array.from({ length: limit + 5 }, (_, i) => {
      const c = from('127.0.0.8');
      c.headers['x-forwarded-for'] = `10.0.${i}.1`;
      return c.post('/api/auth/login', { login: `forged-${i}`, password: 'not a password at all' });
    }));
    expect(forged.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(5);
  });
});
