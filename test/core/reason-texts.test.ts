// Every reason the gateway can send has a German and an English text in the
// pages' catalogues, with the parameters it names; an unknown one is said as the
// generic text of its code with the code, never as the gateway's English.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_KEYWORDS } from '../../src/core/index.ts';
import { REASONS, refusalText } from '../../web/src/lib/error-texts.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [join(dir, d.name)] : []));
const read = (dir: string) => sources(join(ROOT, dir)).map((f) => readFileSync(f, 'utf8')).join('\n');

/** Reason keys a page's own catalogue translates ('logo.too-large': { de, en } next to its form). */
const pageKeys = new Set([...read('web/src').matchAll(/'([a-z]+\.[a-z0-9.-]+)':\s*\{\s*de:/g)].map((m) => m[1]!));

describe('reason texts', () => {
  it('every reason literal the gateway throws with, and every generated one, has a text in both languages', () => {
    const literal = [...read('src').matchAll(/reason: (?:[^'\n]*\? )?'([a-z]+\.[a-z0-9.-]+)'(?: : '([a-z]+\.[a-z0-9.-]+)')?/g)]
      .flatMap((m) => [m[1]!, ...(m[2] ? [m[2]] : [])]);
    const generated = [
      ...[...SCHEMA_KEYWORDS].map((k) => `schema.${k}`), 'schema',
      ...['door', 'terminal', 'device', 'user'].map((k) => `rule.not-on-site.${k}`), 'rule.device-offline', 'rule.device-online',
    ];
    expect(literal.length).toBeGreaterThan(30);
    const missing = [...new Set([...literal, ...generated])].filter((r) => !REASONS[r] && !pageKeys.has(r));
    expect(missing).toEqual([]);
    for (const [key, text] of Object.entries(REASONS)) {
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(text.de), key).toEqual(names(text.en));
    }
  });

  it('says a reason with its parameters, the singular for a count of one, and a rule field in front', () => {
    expect(refusalText({ code: 'invalid', reason: 'schema.minLength', params: { field: 'name', limit: 3 } }, 'de')).toBe('Das Feld name braucht mindestens 3 Zeichen.');
    expect(refusalText({ code: 'invalid', reason: 'schema.minItems', params: { field: 'routes', limit: 1 } }, 'en')).toBe('The field routes needs at least one entry.');
    expect(refusalText({ code: 'invalid', reason: 'rule.unknown-role', params: { field: 'actions.0.role', role: 'nachtwache' } }, 'de'))
      .toBe('Feld actions.0.role: Eine Rolle „nachtwache“ gibt es nicht.');
    expect(refusalText({ code: 'invalid', reason: 'rule.cooling-down', params: { seconds: 60 } }, 'en')).toBe('Cooling down after the last firing (60 s).');
  });

  it('says an unknown reason as the generic text of its code, with the code', () => {
    expect(refusalText({ code: 'conflict', reason: 'something.new', params: {} }, 'de')).toBe('Das geht gerade nicht: Es widerspricht dem aktuellen Stand. (Fehlercode: conflict)');
    expect(refusalText({ code: 'not-found' }, 'en')).toBe('Not found – it may have been deleted meanwhile. (error code: not-found)');
    expect(refusalText({ code: 'teapot' }, 'en')).toBe('An error occurred in the gateway. (error code: teapot)');
  });
});
