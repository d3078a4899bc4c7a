// docs/privacy.md's inventory is the holders' own description with the default
// configuration: a new holder, category or retention default shows up as a diff.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC, defaultInventoryMarkdown, withInventory } from '../../src/privacy/inventory-doc.ts';

describe('privacy: generated inventory', () => {
  it('docs/privacy.md carries the inventory generated from the registered holders (regenerate: node scripts/run.mjs node src/privacy/inventory-doc.ts)', async () => {
    const doc = readFileSync(DOC, 'utf8');
    const table = await defaultInventoryMarkdown();
    expect(table).toContain('| call-records | calls |');
    expect(withInventory(doc, table)).toBe(doc);
  });
});
