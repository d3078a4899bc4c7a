// The inventory of personal data in docs/privacy.md, generated from the holders'
// own descriptions (run: node scripts/run.mjs node src/privacy/inventory-doc.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../store/index.ts';
import { AuditLog } from '../audit/index.ts';
import { EntryPhotos, PhoneBook } from '../phonebook/index.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { systemClock } from '../core/index.ts';
import { Privacy } from './privacy.ts';
import { createHolders } from './holders/index.ts';
import { privacySettings } from './settings.ts';

export const START = '<!-- inventory:start (generated from the holders: node scripts/run.mjs node src/privacy/inventory-doc.ts) -->';
export const END = '<!-- inventory:end -->';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The inventory as the gateway's holders describe it with `config`'s retention periods. */
export async function inventoryOf(config: Config): Promise<ReturnType<Privacy['inventory']>> {
  const store = await Store.open(':memory:');
  try {
    const audit = new AuditLog(store.db, systemClock);
    const unused = () => { throw new Error('the inventory only describes'); };
    const phonebook = new PhoneBook({ store, audit, clock: systemClock });
    const holders = createHolders({
      store, audit, phonebook, photos: new EntryPhotos({ store, audit, clock: systemClock, phonebook, maxBytes: config.web.photo_max_kib * 1024 }), settings: privacySettings(config), slaRetentionDays: config.sla.retention_days,
      hub: { removeCard: unused, pruneExpired: unused, retentionDays: { commands: config.device_hub.command_retention_days, visitorCards: config.device_hub.visitor_card_retention_days } },
    });
    return new Privacy({ holders, audit, clock: systemClock, logger: { info: unused, error: unused }, pruneEveryMs: 1 }).inventory();
  } finally {
    await store.close();
  }
}

export function inventoryMarkdown(categories: Awaited<ReturnType<typeof inventoryOf>>): string {
  const rows = categories.map((c) => `| ${cell(c.category)} | ${cell(c.holder)} | ${cell(c.where)} | ${cell(c.fields.join(', '))} | ${cell(c.purpose)} | ${c.retentionDays === null ? '—' : c.retentionDays} | ${cell(c.retentionKey)} | ${c.subjects.join(', ')} |`);
  return ['| Category | Holder | Where | Fields | Purpose | Days (default) | Retention | Subjects |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

export const ROOT = join(import.meta.dirname, '..', '..');
export const DOC = join(ROOT, 'docs', 'privacy.md');

export async function defaultInventoryMarkdown(): Promise<string> {
  const config = loadConfig({ configDir: join(ROOT, 'config'), cwd: ROOT, env: {} });
  return inventoryMarkdown(await inventoryOf(config));
}

/** The doc's text with its generated section replaced. */
export function withInventory(doc: string, table: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/privacy.md has no ${START} … ${END} section`);
  return `${doc.slice(0, a + START.length)}\n${table}\n${doc.slice(b)}`;
}

if (import.meta.main) {
  writeFileSync(DOC, withInventory(readFileSync(DOC, 'utf8'), await defaultInventoryMarkdown()));
}
