// CSV import: BOM, both delimiters, per-row errors, all-or-nothing unless told to skip.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import { PhoneBook, decodeCsv, importCsv, parseCsv, type ImportLookups } from '../../src/phonebook/index.ts';

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

  it('decodes a file by its bytes: a BOM decides, valid UTF-8 is UTF-8, anything else Windows-1252 (Latin-1 and Excel\'s €)', () => {
    const text = 'name;department\nFränzi König;Büro 5 €\n';
    expect(decodeCsv(Buffer.from(text, 'utf8'))).toEqual({ text, encoding: 'utf-8' });
    expect(decodeCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]))).toEqual({ text, encoding: 'utf-8' });
    expect(decodeCsv(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))).toEqual({ text, encoding: 'utf-16le' });
    const cp1252 = Buffer.from(text.replace('€', '\u0080'), 'latin1'); // € is the byte 80 in Windows-1252
    expect(decodeCsv(cp1252)).toEqual({ text, encoding: 'windows-1252' });
    expect(decodeCsv(Buffer.from('name\nAnna\n', 'latin1')).encoding).toBe('utf-8'); // ASCII is UTF-8
  });

  it('honours Excel\'s sep= line and counts lines from the file\'s first', () => {
    const t = parseCsv('sep=,\r\nname;x,user\r\nA;B,anna\r\n');
    expect(t).toEqual({ header: ['name;x', 'user'], headerLine: 2, rows: [{ line: 3, cells: ['A;B', 'anna'] }] });
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
      { line: 3, field: 'kind', reason: 'kind', params: { allowed: 'person, department, reception' }, message: 'must be one of person, department, reception' },
      { line: 4, field: 'name', reason: 'name-empty', params: {}, message: 'must not be empty' },
      { line: 4, field: 'user', reason: 'unknown-user', params: { login: 'nobody' }, message: 'no desk user with login nobody' },
      { line: 5, field: 'leg_timeout_s', reason: 'leg-timeout', params: { min: 5, max: 120 }, message: 'an integer from 5 to 120' },
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
    expect(result.errors[0]).toMatchObject({ line: 1, field: 'phone', reason: 'unknown-columns', params: { columns: 'phone' } });
  });
});
