// Every column of every table is classified as personal or not (src/privacy/columns.ts),
// and every personal column belongs to a registered holder that names its table — so
// a new field that can identify a person cannot be forgotten.
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { join } from 'node:path';
import { Store } from '../../src/store/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { COLUMNS } from '../../src/privacy/columns.ts';
import { inventoryOf, ROOT } from '../../src/privacy/inventory-doc.ts';

describe('privacy: column inventory', () => {
  it('classifies every column of every table (PRAGMA table_info) and nothing that does not exist', async () => {
    const store = await Store.open(':memory:');
    try {
      const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%' ORDER BY name`.execute(store.db);
      const actual: Record<string, string[]> = {};
      for (const { name } of tables.rows) {
        actual[name] = (await sql<{ name: string }>`SELECT name FROM pragma_table_info(${name})`.execute(store.db)).rows.map((c) => c.name).sort();
      }
      const classified = Object.fromEntries(Object.entries(COLUMNS).map(([t, cols]) => [t, Object.keys(cols).sort()]));
      expect(classified, 'src/privacy/columns.ts must classify exactly the columns the migrations create').toEqual(actual);
    } finally {
      await store.close();
    }
  });

  it('every personal column has a holder that lists its table in the inventory', async () => {
    const inventory = await inventoryOf(loadConfig({ configDir: join(ROOT, 'config'), cwd: ROOT, env: {} }));
    const unheld: string[] = [];
    for (const [table, cols] of Object.entries(COLUMNS)) {
      for (const [column, c] of Object.entries(cols)) {
        if (!c.personal || c.holder === null) continue;
        const holder = c.holder;
        if (!inventory.some((cat) => cat.holder === holder && new RegExp(`\\b${table}\\b`).test(cat.where))) unheld.push(`${table}.${column} → ${holder}`);
      }
    }
    expect(unheld).toEqual([]);
  });
});
