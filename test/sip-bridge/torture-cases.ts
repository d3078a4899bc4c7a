// RFC 4475's torture messages (test/fixtures/sip-torture) and what Portier answers each with over UDP
// (torture.test.ts); the TCP run (stream-garbage.test.ts) expects the same where the framing holds.
export interface Torture {
  file: string;
  section: string;
  /** The status the transport or sip.js answers with; undefined: no answer (a response, nothing to answer). */
  expect?: number;
}

// Our user agent is sip:lobby@…: sip.js answers a request for another user 404 (RFC 3261
// §8.2.2.1) and a method it does not implement 405 (§8.2.1); the transport answers a non-SIP Request-URI 416.
export const VALID: Torture[] = [
  { file: 'wsinv', section: '3.1.1.1 short tortuous INVITE', expect: 404 },
  { file: 'intmeth', section: '3.1.1.2 wide range of valid characters', expect: 405 },
  { file: 'esc01', section: '3.1.1.3 valid use of % escaping', expect: 404 },
  { file: 'escnull', section: '3.1.1.4 escaped nulls in URIs', expect: 404 },
  { file: 'esc02', section: '3.1.1.5 use of % when it is not an escape', expect: 405 },
  { file: 'lwsdisp', section: '3.1.1.6 message with no LWS between display name and <', expect: 404 },
  { file: 'longreq', section: '3.1.1.7 long values in header fields', expect: 404 },
  { file: 'dblreq', section: '3.1.1.8 extra trailing octets in a UDP datagram', expect: 404 },
  { file: 'semiuri', section: '3.1.1.9 semicolon-separated parameters in URI user part', expect: 404 },
  { file: 'transports', section: '3.1.1.10 varied and unknown transport types', expect: 404 },
  { file: 'mpart01', section: '3.1.1.11 multipart MIME message', expect: 404 },
  { file: 'unreason', section: '3.1.1.12 unusual reason phrase (response)' },
  { file: 'noreason', section: '3.1.1.13 empty reason phrase (response)' },
  { file: 'badbranch', section: '3.2.1 missing transaction identifier', expect: 404 },
  { file: 'unkscm', section: '3.3.2 Request-URI with unknown scheme', expect: 416 },
  { file: 'novelsc', section: '3.3.3 Request-URI with known but atypical scheme', expect: 416 },
  { file: 'bext01', section: '3.3.5 Proxy-Require and Require', expect: 404 },
  { file: 'invut', section: '3.3.6 unknown Content-Type', expect: 404 },
  { file: 'regaut01', section: '3.3.7 unknown authorization scheme', expect: 404 },
  { file: 'bcast', section: '3.3.10 200 OK with broadcast Via (response)' },
  { file: 'zeromf', section: '3.3.11 Max-Forwards of zero', expect: 404 },
  { file: 'cparam01', section: '3.3.12 REGISTER with a Contact header parameter', expect: 404 },
  { file: 'cparam02', section: '3.3.13 REGISTER with a URL parameter', expect: 404 },
  { file: 'regescrt', section: '3.3.14 REGISTER with a URL-escaped header', expect: 404 },
  { file: 'sdp01', section: '3.3.15 unacceptable Accept offering', expect: 404 },
  { file: 'inv2543', section: '3.4.1 INVITE with RFC 2543 syntax', expect: 404 },
];

export const INVALID: Torture[] = [
  { file: 'badinv01', section: '3.1.2.1 extraneous header field separators', expect: 400 },
  { file: 'clerr', section: '3.1.2.2 Content-Length larger than message', expect: 400 },
  { file: 'ncl', section: '3.1.2.3 negative Content-Length', expect: 400 },
  { file: 'scalar02', section: '3.1.2.4 request scalar fields with overlarge values', expect: 400 },
  { file: 'scalarlg', section: '3.1.2.5 response scalar fields with overlarge values (response)' },
  { file: 'quotbal', section: '3.1.2.6 unterminated quoted string in display name', expect: 400 },
  { file: 'ltgtruri', section: '3.1.2.7 <> enclosing Request-URI', expect: 400 },
  { file: 'lwsruri', section: '3.1.2.8 malformed Request-URI (embedded LWS)', expect: 400 },
  { file: 'lwsstart', section: '3.1.2.9 multiple SP separating Request-Line elements', expect: 400 },
  { file: 'trws', section: '3.1.2.10 SP characters at end of Request-Line', expect: 400 },
  { file: 'escruri', section: '3.1.2.11 escaped headers in SIP Request-URI', expect: 400 },
  { file: 'baddate', section: '3.1.2.12 invalid time zone in Date', expect: 400 },
  { file: 'regbadct', section: '3.1.2.13 failure to enclose name-addr URI in <>', expect: 400 },
  { file: 'badaspec', section: '3.1.2.14 spaces within addr-spec', expect: 400 },
  { file: 'baddn', section: '3.1.2.15 non-token characters in display name', expect: 400 },
  { file: 'badvers', section: '3.1.2.16 unknown protocol version', expect: 505 },
  { file: 'mismatch01', section: '3.1.2.17 start line and CSeq method mismatch', expect: 400 },
  { file: 'mismatch02', section: '3.1.2.18 unknown method with CSeq method mismatch', expect: 400 },
  { file: 'bigcode', section: '3.1.2.19 overlarge response code (response)' },
  { file: 'insuf', section: '3.3.1 missing required header fields', expect: 400 },
  // sip.js cannot read a non-SIP To; RFC 4475 expects a 400 from an element that needs a SIP AOR.
  { file: 'unksm2', section: '3.3.4 unknown URI schemes in header fields', expect: 400 },
  { file: 'multi01', section: '3.3.8 multiple values in single-value header fields', expect: 400 },
  { file: 'mcl01', section: '3.3.9 multiple Content-Length values', expect: 400 },
];
