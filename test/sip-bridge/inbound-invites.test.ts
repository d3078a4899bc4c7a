// InboundInvites at an account's start: the servers it resolves (names through the
// system resolver: localhost) — a secondary outside inbound.sources, when the
// registrar is among them, gets a warning naming the key (review s22 #23; the
// config load compares only servers given as addresses).
import { describe, it, expect } from 'vitest';
import pino from 'pino';
import { InboundInvites } from '../../src/sip-bridge/inbound-invites.ts';
import type { SipAccountSettings, SipSettings } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const settings: SipSettings = {
  bindAddress: '127.0.0.1', advertisedAddress: '', timers: { t1Ms: 500, t2Ms: 4000 },
  keepaliveMs: 30_000, retryMinMs: 1000, retryMaxMs: 4000, accounts: [],
};

/** The warnings the account logs, as parsed pino lines. */
function invitesFor(registrar: string, secondary: string, sources: string[]): { invites: InboundInvites; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line) as Record<string, unknown>); } });
  const account: SipAccountSettings = {
    id: 'pbx', registrar: { host: registrar, port: 5060 }, secondaryRegistrars: [{ host: secondary, port: 5060 }],
    username: 'lobby', authUsername: 'lobby', password: 'x', domain: 'portier.test', expiresSeconds: 300, localPort: 0,
    inbound: { username: 'trunk', password: 's', realm: 'portier', sources, numbers: new Map(), terminals: new Map(), trustRegistrar: false },
  };
  return { invites: new InboundInvites({ account, settings, clock: new ManualClock(), logger }), warnings };
}

describe('InboundInvites: the account\'s servers and inbound.sources at start', () => {
  it('warns once about a secondary whose address is not among the sources when the registrar\'s (a name) is', async () => {
    const { invites, warnings } = invitesFor('localhost', '127.0.0.2', ['127.0.0.1']);
    await invites.trustServers();
    await invites.trustServers();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ account: 'pbx', key: 'sip.accounts[].inbound.sources', server: '127.0.0.2' });
    expect(String(warnings[0]!.msg)).toMatch(/secondary server is not among inbound\.sources/);
    invites.close();
  });

  it('says nothing when the secondary (a name) resolves into the sources, or when the sources do not hold the registrar', async () => {
    for (const [registrar, secondary, sources] of [['127.0.0.1', 'localhost', ['127.0.0.1']], ['localhost', '127.0.0.2', ['10.0.0.9']]] as const) {
      const { invites, warnings } = invitesFor(registrar, secondary, [...sources]);
      await invites.trustServers();
      expect(warnings).toEqual([]);
      invites.close();
    }
  });
});
