// A top-level field of a JSON text column as text, for exact matches in queries:
// the one place that knows how this store's SQL spells it (SQLite's ->> with a
// JSON path; PostgreSQL would be column::jsonb ->> 'field'), so that domain code
// queries JSON fields without SQLite-only functions.
import { sql, type RawBuilder } from 'kysely';

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `column`'s JSON field `field` as text (NULL when the column or the field is absent). */
export function jsonText(column: string, field: string): RawBuilder<string | null> {
  if (!FIELD.test(field)) throw new Error(`jsonText: not a plain field name: ${field}`);
  return sql<string | null>`${sql.ref(column)} ->> ${`$.${field}`}`;
}
