// Phone-book import from CSV. Columns (header row, any order): kind, name,
// department, user (desk user's login), group (role id rung as a group),
// leg_timeout_s. Every row is validated; errors are reported per row and
// nothing is written when any row is invalid, unless the admin skips bad rows.
import { parseCsv } from './csv.ts';
import { PhoneBook } from './phonebook.ts';
import type { EntryInput, EntryKind, Route } from './types.ts';
import type { Actor } from '../audit/index.ts';

export interface ImportRowError { line: number; field: string; message: string }
export interface ImportResult { imported: number; skipped: number; errors: ImportRowError[] }

export interface ImportLookups {
  userIdByLogin(login: string): Promise<string | undefined>;
  roleExists(roleId: string): Promise<boolean>;
}

const KINDS: EntryKind[] = ['person', 'department', 'reception'];
const KNOWN = ['kind', 'name', 'department', 'user', 'group', 'leg_timeout_s'];

export async function importCsv(
  phonebook: PhoneBook, lookups: ImportLookups, actor: Actor, siteId: string, csv: string, skipInvalid: boolean,
): Promise<ImportResult> {
  const table = parseCsv(csv);
  const errors: ImportRowError[] = [];
  const unknown = table.header.filter((h) => !KNOWN.includes(h));
  if (!table.header.includes('name')) errors.push({ line: 1, field: 'name', message: 'header needs a name column' });
  if (unknown.length) errors.push({ line: 1, field: unknown.join(','), message: `unknown columns; allowed: ${KNOWN.join(', ')}` });
  if (errors.length) return { imported: 0, skipped: table.rows.length, errors };

  const entries: EntryInput[] = [];
  for (const { line, cells } of table.rows) {
    const get = (col: string) => cells[table.header.indexOf(col)] ?? '';
    const rowErrors: ImportRowError[] = [];
    const kind = (get('kind') || 'person').toLowerCase() as EntryKind;
    if (!KINDS.includes(kind)) rowErrors.push({ line, field: 'kind', message: `must be one of ${KINDS.join(', ')}` });
    const name = get('name');
    if (!name) rowErrors.push({ line, field: 'name', message: 'must not be empty' });
    if (name.length > 200) rowErrors.push({ line, field: 'name', message: 'at most 200 characters' });
    const routes: Route[] = [];
    if (get('user')) {
      const userId = await lookups.userIdByLogin(get('user').toLowerCase());
      if (userId) routes.push({ type: 'desk-user', userId });
      else rowErrors.push({ line, field: 'user', message: `no desk user with login ${get('user')}` });
    }
    if (get('group')) {
      if (await lookups.roleExists(get('group'))) routes.push({ type: 'desk-group', roleId: get('group') });
      else rowErrors.push({ line, field: 'group', message: `no role ${get('group')}` });
    }
    if (routes.length === 0 && !rowErrors.some((e) => e.field === 'user' || e.field === 'group')) {
      rowErrors.push({ line, field: 'user', message: 'a user or a group is needed to route calls' });
    }
    const timeout = get('leg_timeout_s');
    const legTimeoutS = timeout ? Number(timeout) : undefined;
    if (timeout && (!Number.isInteger(legTimeoutS) || legTimeoutS! < 5 || legTimeoutS! > 120)) {
      rowErrors.push({ line, field: 'leg_timeout_s', message: 'an integer from 5 to 120' });
    }
    const input: EntryInput = {
      siteId, kind, name, department: get('department') || null, routes,
      ...(legTimeoutS !== undefined ? { policy: { legTimeoutS } } : {}),
    };
    if (rowErrors.length === 0) {
      try { PhoneBook.validate(input); } catch (e) { rowErrors.push({ line, field: 'row', message: (e as Error).message }); }
    }
    if (rowErrors.length) errors.push(...rowErrors);
    else entries.push(input);
  }
  if (errors.length && !skipInvalid) return { imported: 0, skipped: table.rows.length, errors };
  const written = entries.length ? await phonebook.upsertMany(actor, entries) : [];
  return { imported: written.length, skipped: table.rows.length - written.length, errors };
}
