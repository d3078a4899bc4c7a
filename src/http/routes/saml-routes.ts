// SAML 2.0 sign-in over HTTP: the redirect to the deployment's IdP with an
// AuthnRequest, and the assertion consumer service (ACS) where the IdP's form
// posts the signed answer, which ends in a session cookie.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { readCookie, safeReturnPath, SamlSignInError, type SamlSignIn, type SamlRefusal } from '../../access/index.ts';
import { InvalidError, NotFoundError } from '../../core/index.ts';
import { SESSION_COOKIE } from '../auth.ts';
import { sessionCookie } from './auth-routes.ts';
import { ErrorBody } from './schemas.ts';
import { refusedPage } from './sso-refused.ts';

/** Carries the id of the AuthnRequest this browser started; the assertion must answer that request. */
export const SAML_FLOW_COOKIE = 'portier_saml';
const FLOW_PATH = '/api/auth/saml';
/** A SAML response with a certificate and a few attributes is a few KiB; base64 in a form. */
const MAX_RESPONSE_BYTES = 256 * 1024;

const LoginQuery = Type.Object({ return: Type.Optional(Type.String({ maxLength: 256 })) });
const AcsBody = Type.Object({
  SAMLResponse: Type.String({ minLength: 1, maxLength: MAX_RESPONSE_BYTES }),
  RelayState: Type.Optional(Type.String({ maxLength: 1024 })),
});

/** Each refusal in the reader's words, German and English. */
const WHY: Record<SamlRefusal, { de: string; en: string }> = {
  'no-sign-in': { de: 'Diese Anmeldung wurde nicht in diesem Browser begonnen oder ist abgelaufen.', en: 'This sign-in was not started in this browser, or it has expired.' },
  'idp-error': { de: 'Der Identitätsanbieter hat die Anmeldung abgelehnt.', en: 'The identity provider refused the sign-in.' },
  'signature-invalid': { de: 'Die Antwort des Identitätsanbieters trägt keine gültige Signatur.', en: 'The identity provider\'s answer does not carry a valid signature.' },
  'signature-wrapping': { de: 'Die Antwort enthält eine untergeschobene, nicht signierte Zusicherung.', en: 'The answer contains a smuggled-in assertion that is not the signed one.' },
  'wrong-issuer': { de: 'Die Antwort stammt von einem anderen Identitätsanbieter.', en: 'The answer comes from another identity provider.' },
  'wrong-audience': { de: 'Die Zusicherung gilt für einen anderen Dienst als Portier.', en: 'The assertion is meant for another service than Portier.' },
  'wrong-recipient': { de: 'Die Zusicherung ist an eine andere Adresse gerichtet.', en: 'The assertion is addressed to another URL.' },
  expired: { de: 'Die Zusicherung ist abgelaufen. Bitte die Uhrzeit der Server prüfen und erneut anmelden.', en: 'The assertion has expired. Please check the servers\' clocks and sign in again.' },
  'not-yet-valid': { de: 'Die Zusicherung ist noch nicht gültig; die Uhren weichen voneinander ab.', en: 'The assertion is not valid yet; the clocks disagree.' },
  replayed: { de: 'Diese Zusicherung wurde bereits zur Anmeldung verwendet.', en: 'This assertion has already been used to sign in.' },
  'response-invalid': { de: 'Die Antwort des Identitätsanbieters ist unvollständig oder fehlerhaft.', en: 'The identity provider\'s answer is incomplete or malformed.' },
  'account-disabled': { de: 'Dieses Konto ist in Portier gesperrt.', en: 'This account is disabled in Portier.' },
};

export interface SamlRouteDeps {
  /** undefined: SAML is not configured (auth.saml.entry_point empty). */
  saml: SamlSignIn | undefined;
  sessionIdleMs: number;
}

export async function samlRoutes(app: FastifyInstance, d: SamlRouteDeps): Promise<void> {
  // The IdP's form posts url-encoded; only the ACS in this plugin reads such bodies.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: MAX_RESPONSE_BYTES * 2 }, (_req, body, done) => {
    try {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    } catch {
      done(new InvalidError('saml: the form body is not url-encoded'), undefined);
    }
  });

  const signIn = (): SamlSignIn => {
    if (!d.saml) throw new NotFoundError('SAML sign-in is not configured (auth.saml.entry_point)');
    return d.saml;
  };

  app.get<{ Querystring: Static<typeof LoginQuery> }>('/api/auth/saml/login', {
    schema: {
      tags: ['auth'], summary: 'Start single sign-on (SAML 2.0)', querystring: LoginQuery,
      description: "Redirects the browser to the identity provider (auth.saml.*); 404 when not configured.",
      response: { 303: Type.Null({ description: 'To the identity provider' }), 404: ErrorBody, 429: ErrorBody },
    },
  }, async (req, reply) => {
    const saml = signIn();
    const { url, requestId } = await saml.begin(safeReturnPath(req.query.return), req.ip);
    // SameSite=None: the IdP's answer is a cross-site form POST, which carries no Lax or Strict cookie.
    void reply.setCookie(SAML_FLOW_COOKIE, requestId, {
      httpOnly: true, secure: true, sameSite: 'none', path: FLOW_PATH, maxAge: Math.floor(saml.flowMs / 1000),
    });
    return reply.redirect(url, 303);
  });

  app.post<{ Body: Static<typeof AcsBody> }>('/api/auth/saml/acs', {
    // The IdP's page posts here from its own origin: the signed assertion answering this browser's request is the proof.
    config: { crossSitePost: true },
    schema: {
      tags: ['auth'], summary: 'SAML assertion consumer service', body: AcsBody,
      description: "The identity provider's form post (SAMLResponse): checked against this browser's request, the session cookie set, back to the page; a refusal is a page naming why (401).",
      response: { 303: Type.Null({ description: 'Signed in; back to the page' }), 401: ErrorBody, 404: ErrorBody, 429: ErrorBody },
    },
  }, async (req, reply) => {
    const saml = signIn();
    void reply.clearCookie(SAML_FLOW_COOKIE, { path: FLOW_PATH, secure: true, sameSite: 'none' });
    let session: Awaited<ReturnType<SamlSignIn['complete']>>;
    try {
      session = await saml.complete(req.body.SAMLResponse, readCookie(req.headers.cookie, SAML_FLOW_COOKIE));
    } catch (error) {
      // A browser arrives here by the IdP's form: it gets a page (DE/EN) naming the reason; API clients the JSON error.
      if (!(error instanceof SamlSignInError) || !req.headers.accept?.includes('text/html')) throw error;
      return reply.status(401).type('text/html; charset=utf-8').send(refusedPage(`saml ${error.refusal}`, WHY[error.refusal]));
    }
    void reply.setCookie(SESSION_COOKIE, session.token, sessionCookie(d.sessionIdleMs));
    return reply.redirect(session.returnTo, 303);
  });
}
