// Terminal pairing codes: single use, expiring, replaced by a new code.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import { TerminalEnrolment } from '../../src/terminals/index.ts';

const admin = { type: 'user' as const, id: 'admin' };

describe('terminal enrolment', () => {
  let s: Services;
  let enrolment: TerminalEnrolment;
  beforeEach(async () => {
    s = await openServices();
    await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    enrolment = new TerminalEnrolment({ store: s.store, credentials: s.credentials, audit: s.audit, clock: s.clock, codeTtlMs: 10 * 60_000 });
  });
  afterEach(async () => { await s.close(); });

  it('pairs once with a code and hands out a secret the credential service accepts', async () => {
    const { terminal, pairing } = await enrolment.create(admin, { name: 'Lobby', siteId: 'hq' });
    expect(pairing.code).toMatch(/^\d{4}-\d{4}$/);
    const paired = await enrolment.pair(pairing.code.replace('-', ' '));
    expect((await s.credentials.verify(paired.secret))?.id).toBe(terminal.id);
    await expect(enrolment.pair(pairing.code)).rejects.toThrow(/already used/);
  });

  it('refuses an expired code and a code replaced by a newer one', async () => {
    const { terminal, pairing } = await enrolment.create(admin, { name: 'Lobby', siteId: 'hq' });
    s.clock.advance(10 * 60_000 + 1);
    await expect(enrolment.pair(pairing.code)).rejects.toThrow(/expired/);
    const first = await enrolment.newCode(admin, terminal.id);
    const second = await enrolment.newCode(admin, terminal.id);
    await expect(enrolment.pair(first.code)).rejects.toThrow(/invalid/);
    await expect(enrolment.pair(second.code)).resolves.toMatchObject({ terminal: { id: terminal.id } });
    const denied = await s.audit.list({ action: 'terminal.pair' });
    expect(denied.filter((e) => e.outcome === 'denied')).toHaveLength(2);
  });
});
