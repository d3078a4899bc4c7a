// Guessing terminal pairing codes (8 digits, valid for minutes) against a
// started gateway: limited per client address and on the whole gateway, so
// many addresses together cannot guess faster either.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient, signInFirstAdmin } from '../support/gateway.ts';

describe('pairing limits', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  const pair = (address: string, code: string) => new ApiClient(gw.base, { localAddress: address }).post('/api/terminal/pair', { code });

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_CALLS__PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE: '4', PORTIER_CALLS__PAIRING_FAILURES_PER_MINUTE: '10' });
    admin = await signInFirstAdmin(gw);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  it('limits wrong codes per address, and from all addresses together; a right code answered before is not counted', async () => {
    const created = (await admin.post('/api/terminals', { name: 'Lobby', siteId: 'hq' })).body;
    // A kiosk pairing correctly does not use up its address's attempts.
    expect((await pair('127.0.0.20', created.pairing.code)).status).toBe(200);
    const wrong = (i: number) => `0000-00${String(i).padStart(2, '0')}`;
    const first = await Promise.all(Array.from({ length: 6 }, (_, i) => pair('127.0.0.20', wrong(i))));
    expect(first.map((r) => r.status).sort()).toEqual([400, 400, 400, 400, 423, 423]);
    expect(Number(first.find((r) => r.status === 423)!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Other addresses add up to the gateway's limit (10 a minute)…
    for (let i = 0; i < 6; i++) expect((await pair(`127.0.0.${21 + (i % 2)}`, wrong(10 + i))).status).toBe(400);
    // …then every address is refused before the lookup, even one that never tried.
    const fresh = await admin.post('/api/terminals/' + created.terminal.id + '/pairing-code');
    const refused = await pair('127.0.0.23', fresh.body.code);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('rate-limited');
  });
});
