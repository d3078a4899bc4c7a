// The admin API's and the admin page's field rules are the domain's own (review s22
// #18): the door station's SIP user and relay code patterns, the password's length
// and the phone book's ring seconds are written once in src/ and form-fields.ts
// builds on those values — no second literal that could drift.
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as F from '../../src/http/routes/form-fields.ts';
import { RELAY_CODE_PATTERN, SIP_USER_PATTERN } from '../../src/terminals/index.ts';
import { MAX_PASSWORD, MIN_PASSWORD } from '../../src/access/password-rules.ts';
import { passwordProblem } from '../../src/access/password.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';

/** Every TypeScript file under src/, with its text. */
async function sources(dir = 'src'): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...await sources(path));
    else if (e.name.endsWith('.ts')) out.push({ path, text: await readFile(path, 'utf8') });
  }
  return out;
}

describe('form fields from the domain\'s rules', () => {
  it('the form fields carry the domain\'s patterns and limits', () => {
    expect(F.StationSipUser.pattern).toBe(SIP_USER_PATTERN);
    expect(F.RelayCode.pattern).toBe(RELAY_CODE_PATTERN);
    expect([F.NewPassword.minLength, F.NewPassword.maxLength]).toEqual([MIN_PASSWORD, MAX_PASSWORD]);
    expect(passwordProblem('x'.repeat(MIN_PASSWORD - 1))?.params.limit).toBe(F.NewPassword.minLength);
    const entry = { siteId: 'hq', kind: 'person' as const, name: 'Kurt', department: null, routes: [{ type: 'desk-user' as const, userId: 'u' }] };
    const [min, max] = [F.LegTimeoutS.minimum!, F.LegTimeoutS.maximum!];
    for (const legTimeoutS of [min - 1, max + 1]) {
      expect(() => PhoneBook.validate({ ...entry, policy: { legTimeoutS } })).toThrow(expect.objectContaining({ why: { reason: 'entry.leg-timeout', params: { min, max } } }));
    }
    expect(() => PhoneBook.validate({ ...entry, policy: { legTimeoutS: max, capS: F.CapS.minimum! } })).not.toThrow();
  });

  it('each pattern is written once in src/', async () => {
    const files = await sources();
    for (const literal of [`'${SIP_USER_PATTERN}'`, `'${RELAY_CODE_PATTERN}'`]) {
      expect(files.filter((f) => f.text.includes(literal)).map((f) => f.path), literal).toEqual([expect.stringMatching(/station-rules\.ts$/)]);
    }
  });

  it('the password\'s and the ring seconds\' numbers are written once in src/ (no copy beside form-fields.ts)', async () => {
    const files = await sources();
    const written = (re: RegExp) => files.filter((f) => re.test(f.text)).map((f) => f.path);
    expect(written(/minLength: 12\b|MIN_PASSWORD = 12\b/)).toEqual([expect.stringMatching(/password-rules\.ts$/)]);
    expect(written(/minimum: 5, maximum: 120|< 5 \|\|[^\n]*> 120|min: 5, max: 120/)).toEqual([expect.stringMatching(/phonebook[/\\]types\.ts$/)]);
  });
});
