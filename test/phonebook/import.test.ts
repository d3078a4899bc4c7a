// CSV import: BOM, both delimiters, per-row errors, all-or-nothing unless told to skip.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import { PhoneBook, importCsv, parseCsv, type ImportLookups } from '../../src/phonebook/index.ts';

const admin = { type: 'user' as const, id: 'admin' };

describe('phone-book CSV import', () => {
  let s: Services;
  let book: PhoneBook;
  let lookups: ImportLookups;
  beforeEach(async () => {
    s = await openServices();
    await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    await s.store.transaction((tx) => s.accounts.create(tx, { login: 'anna', displayName: 'Anna', password: 'long enough password' }));
    book = new PhoneBook({ store: s.store, audit: s.audit, clock: s.clock });
    lookups = {
      userIdByLogin: async (login) => (await s.accounts.list()).find((u) => u.login === login)?.id,
      roleExists: async (id) => (await s.roles.list()).some((r) => r.id === id),
    };
  });
  afterEach(async () => { await s.close(); });

  it('parses UTF-8 with BOM, ; delimiter, quotes and CRLF', () => {
    const t = parseCsv('\uFEFFkind;name;department\r\nperson;"Müller; Jürgen";"Ein""kauf"\r\n');
    expect(t.header).toEqual(['kind', 'name', 'department']);
    expect(t.rows).toEqual([{ line: 2, cells: ['person', 'Müller; Jürgen', 'Ein"kauf'] }]);
  });

  it('imports valid rows with , delimiter and makes them searchable', async () => {
    const csv = 'name,department,user,group\nAnna Strauß,Personal,anna,\nEmpfang,,,reception\n';
    const result = await importCsv(book, lookups, admin, 'hq', csv, false);
    expect(result).toEqual({ imported: 2, skipped: 0, errors: [] });
    expect(book.search('hq', 'strauss').map((h) => h.entry.name)).toEqual(['Anna Strauß']);
    expect(book.list('hq').find((e) => e.name === 'Empfang')!.routes).toEqual([{ type: 'desk-group', roleId: 'reception' }]);
  });

  it('reports every bad row with line and field and imports nothing', async () => {
    const csv = 'kind;name;user;leg_timeout_s\nperson;Anna;anna;20\nrobot;X;anna;\nperson;;nobody;\nperson;Bob;anna;999\n';
    const result = await importCsv(book, lookups, admin, 'hq', csv, false);
    expect(result.imported).toBe(0);
    expect(result.errors).toEqual([
      { line: 3, field: 'kind', message: 'must be one of person, department, reception' },
      { line: 4, field: 'name', message: 'must not be empty' },
      { line: 4, field: 'user', message: 'no desk user with login nobody' },
      { line: 5, field: 'leg_timeout_s', message: 'an integer from 5 to 120' },
    ]);
    expect(book.list('hq')).toEqual([]);
    const stored = await s.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'phonebook.write').execute();
    expect(stored).toEqual([]);
  });

  it('imports the good rows when asked to skip bad ones', async () => {
    const csv = 'name;user\nAnna;anna\nNobody;ghost\n';
    const result = await importCsv(book, lookups, admin, 'hq', csv, true);
    expect(result.imported).toBe(1);
    expect(result.skipped).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(book.list('hq').map((e) => e.name)).toEqual(['Anna']);
  });

  it('refuses unknown columns', async () => {
    const result = await importCsv(book, lookups, admin, 'hq', 'name;phone\nA;1\n', false);
    expect(result.errors[0]).toMatchObject({ line: 1, field: 'phone' });
  });
});
