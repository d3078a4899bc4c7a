// An attended transfer's Replaces (src/sip-bridge/replaces.ts): read strictly from Refer-To, since it goes
// into a header of Portier's own INVITE.
import { describe, expect, it } from 'vitest';
import { replacedDialog, replacesHeader } from '../../src/sip-bridge/replaces.ts';

describe('the Replaces of a REFER (RFC 3891)', () => {
  it('a Call-ID with both tags, in any order and case, early-only kept, is read and written back as a header value', () => {
    expect(replacedDialog('consult-1%40pbx.example%3Bto-tag%3Dyt1%3Bfrom-tag%3Dxt1')).toEqual({ callId: 'consult-1@pbx.example', toTag: 'yt1', fromTag: 'xt1', earlyOnly: false });
    const dialog = replacedDialog('a.b%3BFrom-Tag%3Dx%3Bearly-only%3BTO-TAG%3Dy')!;
    expect(dialog).toEqual({ callId: 'a.b', toTag: 'y', fromTag: 'x', earlyOnly: true });
    expect(replacesHeader(dialog)).toBe('a.b;to-tag=y;from-tag=x;early-only');
  });

  it('no Call-ID, a missing, doubled or empty tag, a parameter that is not token[=token], a bad escape are malformed', () => {
    for (const escaped of [
      '', '%3Bto-tag%3D1%3Bfrom-tag%3D2', 'abc%3Bto-tag%3D1', 'abc%3Bfrom-tag%3D2', 'abc%3Bto-tag%3D1%3Bto-tag%3D3%3Bfrom-tag%3D2',
      'abc%3Bto-tag%3D%3Bfrom-tag%3D2', 'abc%3Bto-tag%3D1%3Bfrom-tag%3D2%3Bx%3D1%3D2', 'abc%3Bto-tag%3D1%3Bfrom-tag%3D2%3Bx%3D%22a%22',
      'abc%3Bto-tag%3D1%3Dz%3Bfrom-tag%3D2', 'a%40b%40c%3Bto-tag%3D1%3Bfrom-tag%3D2', '%E0%A4%A',
    ]) expect(replacedDialog(escaped), escaped).toBeUndefined();
  });

  it('a PBX\'s own well-formed parameters (RFC 3891 generic-param) are read and dropped, never forwarded', () => {
    const dialog = replacedDialog('abc%3Bto-tag%3D1%3Bx-vendor%3Dy%3Bfrom-tag%3D2%3Bflag')!;
    expect(dialog).toEqual({ callId: 'abc', toTag: '1', fromTag: '2', earlyOnly: false });
    expect(replacesHeader(dialog)).toBe('abc;to-tag=1;from-tag=2');
  });

  it('what a header may not carry (CR, LF, a space, a comma) is refused, never forwarded into the INVITE', () => {
    expect(replacedDialog('abc%0D%0AX-Evil%3A%201%3Bto-tag%3D1%3Bfrom-tag%3D2')).toBeUndefined();
    expect(replacedDialog('abc%3Bto-tag%3D1%0D%0ARoute%3A%20%3Csip%3Aevil%3E%3Bfrom-tag%3D2')).toBeUndefined();
    expect(replacedDialog('abc%2Cdef%3Bto-tag%3D1%3Bfrom-tag%3D2')).toBeUndefined();
    expect(replacedDialog('ab%20c%3Bto-tag%3D1%3Bfrom-tag%3D2')).toBeUndefined();
  });
});
