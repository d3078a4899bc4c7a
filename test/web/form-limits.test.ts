// The admin forms' patterns, made from the routes' JSON Schema patterns: each one
// compiles under the v flag (as Chromium compiles `pattern`) and accepts exactly
// what the route's own pattern accepts.
import { describe, expect, it } from 'vitest';
import { FIELDS, htmlPattern } from '../../web/src/admin/form-limits.ts';
import * as F from '../../src/http/routes/form-fields.ts';

/** How a browser applies an input's `pattern` (HTML: anchored, v flag). */
const browserAccepts = (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`, 'v').test(value);

describe('admin form patterns from the route schemas', () => {
  const samples = ['door-1', '0', 'a'.repeat(63), 'a'.repeat(64), 'Door_1', '-door', 'tür-1', '', ' anna ', 'Anna.B@x', 'a', 'x y',
    'station.1~+-', 'a/b', '*1', '#', '12345678901234567', '1-2', 'abc'];
  const patterned = [['DeviceId', F.DeviceId], ['SiteId', F.SiteId], ['Login', F.Login], ['StationSipUser', F.StationSipUser], ['RelayCode', F.RelayCode]] as const;

  for (const [name, schema] of patterned) {
    it(`${name}: compiles under the v flag and accepts what the route accepts`, () => {
      const html = htmlPattern(schema.pattern!);
      expect(() => new RegExp(html, 'v')).not.toThrow();
      const route = new RegExp(schema.pattern!, 'u');
      for (const value of samples) expect(browserAccepts(html, value), `${name} ${JSON.stringify(value)}`).toBe(route.test(value));
    });
  }

  it('escapes a literal - at a class edge and the class syntax characters, and keeps ranges and escapes', () => {
    expect(htmlPattern('^[a-z0-9-]+$')).toBe('[a-z0-9\\-]+');
    expect(htmlPattern('^[-a]$')).toBe('[\\-a]');
    expect(htmlPattern('^[^-a]$')).toBe('[^\\-a]');
    expect(htmlPattern('^[a(|)/{}]\\$$')).toBe('[a\\(\\|\\)\\/\\{\\}]\\$');
    expect(htmlPattern('^\\d\\d:\\d\\d$')).toBe('\\d\\d:\\d\\d');
  });

  it('gives every form field the same rules as its schema (required covers a minimum of 1)', () => {
    expect(FIELDS.deviceId).toEqual({ pattern: '[a-z0-9][a-z0-9\\-]{0,62}' });
    expect(FIELDS.newPassword).toEqual({ minLength: 12, maxLength: 256 });
    expect(FIELDS.deviceLabel).toEqual({ maxLength: 200 });
    // A number field: the ring seconds' range, as the route's schema has it.
    expect(FIELDS.legTimeoutS).toEqual({ min: F.LegTimeoutS.minimum, max: F.LegTimeoutS.maximum });
    expect(FIELDS.legTimeoutS).toEqual({ min: 5, max: 120 });
  });
});
