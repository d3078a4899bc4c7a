// CSV import through the admin API of a started gateway: the file's bytes as
// text/csv, decoded by what they are (a Latin-1 `;` file from an older Excel,
// UTF-8 with BOM and Excel's `sep=` line), per-row errors with reason and
// params, unknown columns named with the allowed ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, signInFirstAdmin, type ApiClient } from '../support/gateway.ts';

describe('phone-book CSV import through the API', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let api: ApiClient;
  const book = () => gw.gateway.services.phonebook;

  /** Posts a file as it is, the way the admin page does. */
  const postCsv = async (site: string, bytes: Uint8Array, query = '', type = 'text/csv') => {
    const res = await fetch(`${gw.base}/api/sites/${site}/phonebook/import${query}`, {
      method: 'POST', headers: { cookie: api.cookie!, 'content-type': type }, body: bytes as Uint8Array<ArrayBuffer>,
    });
    return { status: res.status, body: await res.json() as Record<string, any> };
  };

  beforeAll(async () => {
    gw = await startGateway();
    api = await signInFirstAdmin(gw);
    for (const id of ['hq', 'latin', 'bom', 'skip']) expect((await api.post('/api/sites', { id, name: id, timeZone: 'Europe/Berlin' })).status).toBe(201);
    expect((await api.post('/api/users', { login: 'anna', displayName: 'Anna', password: 'anna password 1234' })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  it('imports a Latin-1 file with ; separators (an older Excel export) with its umlauts intact', async () => {
    const csv = 'name;department;user;group\r\nFränzi König;Geschäftsführung;anna;\r\nJürgen Strauß;Empfang;;reception\r\n';
    const bytes = Buffer.from(csv, 'latin1');
    expect(bytes.includes(0xe4)).toBe(true); // "ä" as the one byte E4: not UTF-8
    const res = await postCsv('latin', bytes);
    expect(res).toEqual({ status: 200, body: { imported: 2, skipped: 0, errors: [], encoding: 'windows-1252' } });
    expect(book().list('latin').map((e) => [e.name, e.department]).sort()).toEqual([['Fränzi König', 'Geschäftsführung'], ['Jürgen Strauß', 'Empfang']]);
    expect(book().search('latin', 'könig').map((h) => h.entry.name)).toEqual(['Fränzi König']);
  });

  it('reads UTF-8 with a BOM and Excel\'s sep= line as UTF-8 (a charset parameter is accepted)', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('sep=;\r\nname;user\r\nZoë Müller-Łukasz;anna\r\n', 'utf8')]);
    const res = await postCsv('bom', bytes, '', 'text/csv; charset=utf-8');
    expect(res).toEqual({ status: 200, body: { imported: 1, skipped: 0, errors: [], encoding: 'utf-8' } });
    expect(book().list('bom').map((e) => e.name)).toEqual(['Zoë Müller-Łukasz']);
  });

  it('refuses an Excel-style file with unknown columns, naming them and the allowed ones (400, nothing written)', async () => {
    const res = await postCsv('hq', Buffer.from('Name;Vorname;Telefon\r\nKönig;Fränzi;123\r\n', 'latin1'));
    expect(res.status).toBe(400);
    const allowed = 'kind, name, department, user, group, leg_timeout_s';
    expect(res.body).toEqual({
      imported: 0, skipped: 1, encoding: 'windows-1252', error: 'invalid',
      message: `line 1, vorname,telefon: unknown columns vorname, telefon; allowed: ${allowed}`,
      errors: [{ line: 1, field: 'vorname,telefon', reason: 'unknown-columns', params: { columns: 'vorname, telefon', allowed }, message: `unknown columns vorname, telefon; allowed: ${allowed}` }],
    });
    expect(book().list('hq')).toEqual([]);
  });

  it('reports each bad row with line, field, reason and params; ?skipInvalid=true imports the good ones', async () => {
    const csv = Buffer.from('kind;name;user;leg_timeout_s\nperson;Anna;anna;20\nrobot;Robo;anna;\nperson;Bob;ghost;999\n', 'utf8');
    const all = await postCsv('skip', csv);
    expect(all.status).toBe(400);
    expect(all.body.errors).toEqual([
      { line: 3, field: 'kind', reason: 'kind', params: { allowed: 'person, department, reception' }, message: 'must be one of person, department, reception' },
      { line: 4, field: 'user', reason: 'unknown-user', params: { login: 'ghost' }, message: 'no desk user with login ghost' },
      { line: 4, field: 'leg_timeout_s', reason: 'leg-timeout', params: { min: 5, max: 120 }, message: 'an integer from 5 to 120' },
    ]);
    expect(all.body.message).toBe('line 3, kind: must be one of person, department, reception (and 2 more)');
    expect(book().list('skip')).toEqual([]);

    const some = await postCsv('skip', csv, '?skipInvalid=true');
    expect(some.status).toBe(200);
    expect(some.body).toMatchObject({ imported: 1, skipped: 2, errors: all.body.errors });
    expect(book().list('skip').map((e) => e.name)).toEqual(['Anna']);
  });

  it('still takes JSON { csv } and answers other bodies with a named error', async () => {
    const json = await api.post('/api/sites/hq/phonebook/import', { csv: 'name,group\nPforte,reception\n' });
    expect(json.status).toBe(200);
    expect(json.body).toEqual({ imported: 1, skipped: 0, errors: [], encoding: 'utf-8' });
    const plain = await postCsv('hq', Buffer.from('name,group\nX,reception\n'), '', 'text/plain');
    expect(plain.status).toBe(400);
    expect(plain.body.error).toBe('invalid');
    expect(book().list('hq').map((e) => e.name)).toEqual(['Pforte']);
  });
});
