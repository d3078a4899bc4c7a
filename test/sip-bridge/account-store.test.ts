// SipAccountStore keeps an account's door code sealed in its row like the
// passwords (a physical-access credential: a copy of the database, a backup or a
// support dump must not give it away, review s25 #3); the clear code is what the
// running account is built from, in memory only. A row written before that, with
// the code in clear, is sealed when the store loads it.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox, parseMasterKey } from '../../src/secrets/index.ts';
import { SipAccountStore, type StoredSipAccount } from '../../src/sip-bridge/account-store.ts';
import { openServices, type Services } from '../support/services.ts';

const CODE = '*2580*9';
const ACTOR = { type: 'system', id: 'test' } as const;

describe('a SIP account\'s door code in the store', () => {
  let svc: Services;
  let box: SecretBox;
  const account = (id: string, doorCode: string | null): StoredSipAccount => ({
    id, enabled: false, registrar: '127.0.0.1:5060', secondaryRegistrars: [], transport: 'udp', tlsServerName: '', tlsCa: '', srtp: 'off',
    username: 'lobby', authUsername: '', domain: '', expires: null, outboundProxy: '', localPort: null, doorCode, inbound: null, codecs: null, createdAt: 1, updatedAt: 1,
  });
  const rows = () => svc.store.db.withTables<{ sip_accounts: { id: string; door_code: string | null } }>().selectFrom('sip_accounts').select(['id', 'door_code']).orderBy('id').execute();
  const fresh = () => new SipAccountStore({ store: svc.store, audit: svc.audit, clock: svc.clock, box });

  beforeEach(async () => {
    svc = await openServices();
    box = new SecretBox(parseMasterKey(randomBytes(32).toString('hex'), 'test key'));
  });
  afterEach(async () => { await svc.close(); });

  it('writes the code sealed and builds the account with the clear one; none and default stay as they are', async () => {
    const store = fresh();
    await store.load();
    await store.create(ACTOR, account('coded', CODE), 'pw');
    await store.create(ACTOR, account('none', ''), 'pw');
    await store.create(ACTOR, account('default', null), 'pw');
    const written = await rows();
    expect(written.map((r) => r.door_code === null ? null : r.door_code.startsWith('enc:v1:') ? 'sealed' : r.door_code)).toEqual(['sealed', null, '']);
    expect(JSON.stringify(written)).not.toContain(CODE);
    expect(store.config('coded')!.door_code).toBe(CODE);
    // A change that leaves the code keeps its sealed value; a new code is sealed anew.
    await store.update(ACTOR, { ...store.find('coded')!, expires: 600 }, {}, ['expires']);
    expect((await rows())[0]!.door_code).toBe(written[0]!.door_code);
    await store.update(ACTOR, { ...store.find('coded')!, doorCode: '#9999*4' }, {}, ['doorCode']);
    expect((await rows())[0]!.door_code).toMatch(/^enc:v1:/);
    expect(fresh().config('coded')).toBeUndefined();
    const again = fresh();
    await again.load();
    expect(again.config('coded')!.door_code).toBe('#9999*4');
    expect(again.config('none')!.door_code).toBe('');
  });

  it('seals a code a row holds in clear when it loads it', async () => {
    await fresh().create(ACTOR, account('legacy', null), 'pw');
    await svc.store.db.withTables<{ sip_accounts: { id: string; door_code: string | null } }>().updateTable('sip_accounts').set({ door_code: CODE }).where('id', '=', 'legacy').execute();
    const store = fresh();
    await store.load();
    const [row] = await rows();
    expect(row!.door_code).toMatch(/^enc:v1:/);
    expect(row!.door_code).not.toContain(CODE);
    expect(store.config('legacy')!.door_code).toBe(CODE);
    expect(store.find('legacy')!.doorCode).toBe(CODE);
  });
});
