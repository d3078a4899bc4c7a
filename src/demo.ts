// Demo mode (`npm start -- --demo`): a demo site, a host and a receptionist, the
// reception and the host in the phone book, and a terminal with a fresh pairing
// code, so a newcomer can make a call within a minute. Idempotent: a second
// start keeps the data and issues new passwords and a new pairing code.
import { randomBytes } from 'node:crypto';
import type { Services } from './gateway.ts';

const SITE = 'demo';
const actor = { type: 'system' as const, id: null };

export interface DemoInfo {
  users: Array<{ login: string; password: string; role: string }>;
  pairingCode: string;
}

export async function seedDemo(s: Services): Promise<DemoInfo> {
  if (!(await s.sites.list()).some((site) => site.id === SITE)) {
    await s.sites.create(actor, { id: SITE, name: 'Demo', timeZone: 'Europe/Berlin' });
    await s.sites.createDoor(actor, SITE, 'Haupteingang / Main entrance');
  }
  const users: DemoInfo['users'] = [];
  for (const [login, name, role] of [['anna', 'Anna Müller', 'host'], ['rita', 'Rita Empfang', 'reception']] as const) {
    const password = randomBytes(9).toString('base64url');
    const existing = (await s.accounts.list()).find((u) => u.login === login);
    await s.store.transaction(async (tx) => {
      let id = existing?.id;
      if (!id) {
        id = await s.accounts.create(tx, { login, displayName: name });
        await s.roles.assign(tx, { type: 'user', id }, role, SITE);
      }
      await s.accounts.setPassword(tx, id, `demo-${password}`);
    });
    users.push({ login, password: `demo-${password}`, role });
  }
  const ids = Object.fromEntries((await s.accounts.list()).map((u) => [u.login, u.id]));
  if (s.phonebook.list(SITE).length === 0) {
    await s.phonebook.upsertMany(actor, [
      { siteId: SITE, kind: 'person', name: 'Anna Müller', department: 'Einkauf / Purchasing', routes: [{ type: 'desk-user', userId: ids.anna! }] },
      { siteId: SITE, kind: 'reception', name: 'Empfang / Reception', department: null, routes: [{ type: 'desk-group', roleId: 'reception' }] },
    ]);
  }
  let terminal = (await s.credentials.list('terminal')).find((t) => t.siteId === SITE && t.revokedAt === null);
  if (!terminal) {
    const door = (await s.sites.doors(SITE))[0];
    terminal = (await s.enrolment.create(actor, { name: 'Lobby Demo', siteId: SITE, doorId: door?.id ?? null })).terminal;
  }
  const pairing = await s.enrolment.newCode(actor, terminal.id);
  return { users, pairingCode: pairing.code };
}
