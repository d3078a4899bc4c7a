// A throwaway SAML identity provider for tests: an RSA key and self-signed
// certificate made with openssl, and responses (one assertion, signed with that
// key as an IdP signs it) whose every field a test may bend.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { requireOnPath } from './tools.ts';

export interface IdpKeys { key: string; cert: string }

/** A fresh RSA-2048 key and a self-signed certificate for `cn`, valid two days. */
export function makeIdpKeys(cn = 'portier-test-idp'): IdpKeys {
  const openssl = requireOnPath('openssl', 'apt-get install openssl');
  const dir = mkdtempSync(join(tmpdir(), 'portier-idp-'));
  try {
    execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${cn}`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The AuthnRequest the gateway sent in its redirect (HTTP-Redirect binding: deflated, base64). */
export function authnRequestOf(location: string): string {
  const request = new URL(location).searchParams.get('SAMLRequest');
  if (!request) throw new Error(`no SAMLRequest in ${location}`);
  return inflateRawSync(Buffer.from(request, 'base64')).toString('utf8');
}

export interface ResponseFields {
  idpEntityId: string;
  requestId: string;
  acsUrl: string;
  audience: string;
  nameId: string;
  attributes: Record<string, string[]>;
  /** NotBefore / NotOnOrAfter of the Conditions and of the bearer confirmation (ms). */
  notBefore: number;
  notOnOrAfter: number;
  assertionId?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** An unsigned Response holding one Assertion with these fields. */
export function responseXml(f: ResponseFields): string {
  const now = iso(f.notBefore);
  const attributes = Object.entries(f.attributes).map(([name, values]) => `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${
    values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`).join('');
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomUUID().replaceAll('-', '')}" Version="2.0" IssueInstant="${now}" Destination="${esc(f.acsUrl)}" InResponseTo="${esc(f.requestId)}">`
    + `<saml:Issuer>${esc(f.idpEntityId)}</saml:Issuer>`
    + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
    + `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="${f.assertionId ?? `_a${randomUUID().replaceAll('-', '')}`}" Version="2.0" IssueInstant="${now}">`
    + `<saml:Issuer>${esc(f.idpEntityId)}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${esc(f.nameId)}</saml:NameID>`
    + '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
    + `<saml:SubjectConfirmationData NotOnOrAfter="${iso(f.notOnOrAfter)}" Recipient="${esc(f.acsUrl)}" InResponseTo="${esc(f.requestId)}"/>`
    + '</saml:SubjectConfirmation></saml:Subject>'
    + `<saml:Conditions NotBefore="${now}" NotOnOrAfter="${iso(f.notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(f.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${now}" SessionIndex="_s${randomUUID().replaceAll('-', '')}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`
    + '</saml:Assertion></samlp:Response>';
}

/** Signs the Response's Assertion as an IdP does: enveloped, exclusive c14n, RSA-SHA256, the signature after its Issuer. */
export function signAssertion(xml: string, keys: IdpKeys): string {
  const sig = new SignedXml({
    privateKey: keys.key, publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' } });
  return sig.getSignedXml();
}
