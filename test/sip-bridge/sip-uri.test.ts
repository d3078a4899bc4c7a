// SIP URI equivalence by RFC 3261 §19.1.4 (the digest uri ↔ Request-URI check of inbound INVITEs).
import { describe, expect, it } from 'vitest';
import { sameSipUri } from '../../src/sip-bridge/sip-uri.ts';

describe('sameSipUri', () => {
  it('equal: host case, escaped user characters, parameter order and case, other parameters only in one', () => {
    expect(sameSipUri('sip:4711@portier.test', 'sip:4711@PORTIER.Test')).toBe(true);
    expect(sameSipUri('sip:%34711@portier.test', 'sip:4711@portier.test')).toBe(true);
    expect(sameSipUri('sip:4711@portier.test;transport=UDP;lr', 'sip:4711@portier.test;lr;transport=udp')).toBe(true);
    expect(sameSipUri('sip:4711@portier.test;foo=1', 'sip:4711@portier.test')).toBe(true);
    expect(sameSipUri('sip:4711@[::1]:5070', 'sip:4711@[::1]:5070')).toBe(true);
  });

  it('different: user case, scheme, explicit default port, a must-match parameter in one only, headers, garbage', () => {
    expect(sameSipUri('sip:Anna@portier.test', 'sip:anna@portier.test')).toBe(false);
    expect(sameSipUri('sips:4711@portier.test', 'sip:4711@portier.test')).toBe(false);
    expect(sameSipUri('sip:4711@portier.test:5060', 'sip:4711@portier.test')).toBe(false);
    expect(sameSipUri('sip:4711@portier.test;transport=tcp', 'sip:4711@portier.test')).toBe(false);
    expect(sameSipUri('sip:4711@portier.test;user=phone', 'sip:4711@portier.test')).toBe(false);
    expect(sameSipUri('sip:4711@portier.test;foo=1', 'sip:4711@portier.test;foo=2')).toBe(false);
    expect(sameSipUri('sip:4711@portier.test?subject=x', 'sip:4711@portier.test')).toBe(false);
    expect(sameSipUri('sip:portier.test', 'sip:4711@portier.test')).toBe(false);
    expect(sameSipUri('sip:4711@portier.test', 'sip:%zz@portier.test')).toBe(false);
    expect(sameSipUri('tel:4711', 'tel:4711')).toBe(false);
  });
});
