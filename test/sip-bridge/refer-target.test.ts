// What a REFER of the PBX may name (src/sip-bridge/refer-in.ts referTarget): an
// extension at the account's domain or one of its servers, nothing else.
import { describe, expect, it } from 'vitest';
import { Grammar } from 'sip.js';
import { referTarget } from '../../src/sip-bridge/refer-in.ts';

const HOSTS = ['portier.test', '10.0.0.5', '2001:db8::5'];
/** A Referral as referTarget reads it: its Refer-To parsed by sip.js, and Replaces from the URI's headers. */
const referral = (referTo: string) => ({
  get referTo() {
    const parsed = Grammar.nameAddrHeaderParse(referTo);
    if (!parsed) throw new Error('Failed to parse Refer-To header.');
    return parsed;
  },
  get replaces() {
    const value = Grammar.nameAddrHeaderParse(referTo)?.uri.getHeader('replaces');
    return Array.isArray(value) ? value[0] : value;
  },
});

describe('the target of a REFER from the PBX', () => {
  it('an extension at the account\'s domain or one of its servers (case-insensitive, IPv6 without brackets) is followed', () => {
    expect(referTarget(referral('<sip:7002@portier.test>'), HOSTS)).toEqual({ user: '7002' });
    expect(referTarget(referral('"Paul" <sip:+4930123@PORTIER.TEST;transport=udp>'), HOSTS)).toEqual({ user: '+4930123' });
    expect(referTarget(referral('<sips:7002@10.0.0.5:5061>'), HOSTS)).toEqual({ user: '7002' });
    expect(referTarget(referral('<sip:7002@[2001:db8::5]>'), HOSTS)).toEqual({ user: '7002' });
  });

  it('an attended transfer (Replaces in Refer-To) to such an extension is followed with its Replaces header; a malformed one 400 bad-replaces', () => {
    expect(referTarget(referral('<sip:7002@portier.test?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>'), HOSTS))
      .toEqual({ user: '7002', replaces: 'abc@h;to-tag=1;from-tag=2' });
    expect(referTarget(referral('<sip:7002@portier.test?Replaces=abc%40h%3Bto-tag%3D1>'), HOSTS)).toEqual({ status: 400, reason: 'bad-replaces' });
    expect(referTarget(referral('<sip:7002@portier.test?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2&Replaces=x%3Bto-tag%3D3%3Bfrom-tag%3D4>'), HOSTS))
      .toEqual({ status: 400, reason: 'bad-replaces' });
    // The host and the user are checked first, as for a blind transfer.
    expect(referTarget(referral('<sip:7002@evil.example?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>'), HOSTS)).toEqual({ status: 403, reason: 'foreign-target' });
  });

  it('another host is 403 foreign-target, a user that is no extension 403 not-an-extension, garbage and tel: 400', () => {
    expect(referTarget(referral('<sip:7002@evil.example>'), HOSTS)).toEqual({ status: 403, reason: 'foreign-target' });
    expect(referTarget(referral('<sip:7002@portier.test.evil.example>'), HOSTS)).toEqual({ status: 403, reason: 'foreign-target' });
    expect(referTarget(referral('<sip:portier.test>'), HOSTS)).toEqual({ status: 403, reason: 'not-an-extension' });
    expect(referTarget(referral('<sip:a%40b@portier.test>'), HOSTS)).toEqual({ status: 403, reason: 'not-an-extension' });
    expect(referTarget(referral('not a uri'), HOSTS)).toEqual({ status: 400, reason: 'unparsable' });
    // sip.js's grammar reads SIP URIs only: a tel: URI is not even parsed.
    expect(referTarget(referral('<tel:+4930123>'), HOSTS)).toEqual({ status: 400, reason: 'unparsable' });
  });
});
