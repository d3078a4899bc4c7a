// Phone-book import from CSV. Columns (header row, any order): kind, name,
// department, user (desk user's login), group (role id rung as a group),
// leg_timeout_s. Every row is validated; errors are reported per row and
// nothing is written when any row is invalid, unless the admin skips bad rows.
import { parseCsv } from './csv.ts';
import { PhoneBook } from './phonebook.ts';
import { POLICY_LIMITS, type EntryInput, type EntryKind, type Route } from './types.ts';
import type { Actor } from '../audit/index.ts';

/** Why a row (or the header) was refused: a key the pages translate, with `params` filled into their text. */
export type ImportReason =
  | 'no-name-column' | 'unknown-columns' | 'kind' | 'name-empty' | 'name-too-long'
  | 'unknown-user' | 'unknown-group' | 'no-route' | 'leg-timeout' | 'invalid-entry';

export interface ImportRowError {
  line: number;
  field: string;
  reason: ImportReason;
  params: Record<string, string | number>;
  /** The same in English, for API clients and logs. */
  message: string;
}
export interface ImportResult { imported: number; skipped: number; errors: ImportRowError[] }

export interface ImportLookups {
  userIdByLogin(login: string): Promise<string | undefined>;
  roleExists(roleId: string): Promise<boolean>;
}

const KINDS: EntryKind[] = ['person', 'department', 'reception'];
export const CSV_COLUMNS = ['kind', 'name', 'department', 'user', 'group', 'leg_timeout_s'] as const;
const NAME_MAX = 200;
const TIMEOUT = POLICY_LIMITS.legTimeoutS;

const ENGLISH: Record<ImportReason, (p: Record<string, string | number>) => string> = {
  'no-name-column': () => 'header needs a name column',
  'unknown-columns': (p) => `unknown columns ${p.columns}; allowed: ${p.allowed}`,
  kind: (p) => `must be one of ${p.allowed}`,
  'name-empty': () => 'must not be empty',
  'name-too-long': (p) => `at most ${p.max} characters`,
  'unknown-user': (p) => `no desk user with login ${p.login}`,
  'unknown-group': (p) => `no role ${p.group}`,
  'no-route': () => 'a user or a group is needed to route calls',
  'leg-timeout': (p) => `an integer from ${p.min} to ${p.max}`,
  'invalid-entry': (p) => String(p.message),
};

const rowError = (line: number, field: string, reason: ImportReason, params: Record<string, string | number> = {}): ImportRowError =>
  ({ line, field, reason, params, message: ENGLISH[reason](params) });

export async function importCsv(
  phonebook: PhoneBook, lookups: ImportLookups, actor: Actor, siteId: string, csv: string, skipInvalid: boolean,
): Promise<ImportResult> {
  const table = parseCsv(csv);
  const errors: ImportRowError[] = [];
  const known: readonly string[] = CSV_COLUMNS;
  const unknown = table.header.filter((h) => !known.includes(h));
  if (!table.header.includes('name')) errors.push(rowError(table.headerLine, 'name', 'no-name-column'));
  if (unknown.length) {
    errors.push(rowError(table.headerLine, unknown.join(','), 'unknown-columns', { columns: unknown.join(', '), allowed: CSV_COLUMNS.join(', ') }));
  }
  if (errors.length) return { imported: 0, skipped: table.rows.length, errors };

  const entries: EntryInput[] = [];
  for (const { line, cells } of table.rows) {
    const get = (col: string) => cells[table.header.indexOf(col)] ?? '';
    const rowErrors: ImportRowError[] = [];
    const kind = (get('kind') || 'person').toLowerCase() as EntryKind;
    if (!KINDS.includes(kind)) rowErrors.push(rowError(line, 'kind', 'kind', { allowed: KINDS.join(', ') }));
    const name = get('name');
    if (!name) rowErrors.push(rowError(line, 'name', 'name-empty'));
    if (name.length > NAME_MAX) rowErrors.push(rowError(line, 'name', 'name-too-long', { max: NAME_MAX }));
    const routes: Route[] = [];
    if (get('user')) {
      const userId = await lookups.userIdByLogin(get('user').toLowerCase());
      if (userId) routes.push({ type: 'desk-user', userId });
      else rowErrors.push(rowError(line, 'user', 'unknown-user', { login: get('user') }));
    }
    if (get('group')) {
      if (await lookups.roleExists(get('group'))) routes.push({ type: 'desk-group', roleId: get('group') });
      else rowErrors.push(rowError(line, 'group', 'unknown-group', { group: get('group') }));
    }
    if (routes.length === 0 && !rowErrors.some((e) => e.field === 'user' || e.field === 'group')) {
      rowErrors.push(rowError(line, 'user', 'no-route'));
    }
    const timeout = get('leg_timeout_s');
    const legTimeoutS = timeout ? Number(timeout) : undefined;
    if (timeout && (!Number.isInteger(legTimeoutS) || legTimeoutS! < TIMEOUT.min || legTimeoutS! > TIMEOUT.max)) {
      rowErrors.push(rowError(line, 'leg_timeout_s', 'leg-timeout', TIMEOUT));
    }
    const input: EntryInput = {
      siteId, kind, name, department: get('department') || null, routes,
      ...(legTimeoutS !== undefined ? { policy: { legTimeoutS } } : {}),
    };
    if (rowErrors.length === 0) {
      try { PhoneBook.validate(input); } catch (e) { rowErrors.push(rowError(line, 'row', 'invalid-entry', { message: (e as Error).message })); }
    }
    if (rowErrors.length) errors.push(...rowErrors);
    else entries.push(input);
  }
  if (errors.length && !skipInvalid) return { imported: 0, skipped: table.rows.length, errors };
  const written = entries.length ? await phonebook.upsertMany(actor, entries) : [];
  return { imported: written.length, skipped: table.rows.length - written.length, errors };
}
