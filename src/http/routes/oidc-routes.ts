// Single sign-on over HTTP: which sign-in methods exist, the redirect to the
// deployment's OpenID provider, and the callback that ends in a session cookie.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { readCookie, safeReturnPath, OidcSignInError, type OidcSignIn } from '../../access/index.ts';
import { NotFoundError } from '../../core/index.ts';
import { SESSION_COOKIE } from '../auth.ts';
import { sessionCookie } from './auth-routes.ts';
import { ErrorBody } from './schemas.ts';
import { refusedPage } from './sso-refused.ts';

/** Carries the state of the sign-in this browser started; the callback must bring the same state back. */
export const OIDC_FLOW_COOKIE = 'portier_oidc';
const FLOW_PATH = '/api/auth/oidc';

const LoginQuery = Type.Object({ return: Type.Optional(Type.String({ maxLength: 256 })) });
const CallbackQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 512 })),
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
}, { additionalProperties: true });

export interface OidcRouteDeps {
  /** undefined: single sign-on is not configured (auth.oidc.issuer empty). */
  oidc: OidcSignIn | undefined;
  /** Whether SAML sign-in is configured (auth.saml.entry_point; its routes are in saml-routes.ts). */
  saml: boolean;
  sessionIdleMs: number;
}

export async function oidcRoutes(app: FastifyInstance, d: OidcRouteDeps): Promise<void> {
  // Public: the sign-in form asks before anyone is signed in.
  app.get('/api/auth/methods', {
    schema: {
      tags: ['auth'], summary: 'The sign-in methods this gateway offers', description: 'Public: the sign-in form asks before anyone is signed in.',
      response: { 200: Type.Object({ local: Type.Boolean(), oidc: Type.Boolean(), saml: Type.Boolean() }, { description: 'Which methods are configured' }) },
    },
  }, async () => ({ local: true, oidc: d.oidc !== undefined, saml: d.saml }));

  const signIn = (): OidcSignIn => {
    if (!d.oidc) throw new NotFoundError('single sign-on is not configured (auth.oidc.issuer)');
    return d.oidc;
  };

  app.get<{ Querystring: Static<typeof LoginQuery> }>('/api/auth/oidc/login', {
    schema: {
      tags: ['auth'], summary: 'Start single sign-on (OpenID Connect)', querystring: LoginQuery,
      description: "Redirects the browser to the identity provider (auth.oidc.*); 404 when not configured. return: the page to come back to (this gateway's paths only).",
      response: { 303: Type.Null({ description: 'To the identity provider' }), 404: ErrorBody, 429: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const oidc = signIn();
    const { url, state } = await oidc.begin(safeReturnPath(req.query.return), req.ip);
    // Lax, not strict: the provider's redirect back to the callback is a cross-site navigation.
    void reply.setCookie(OIDC_FLOW_COOKIE, state, {
      httpOnly: true, secure: true, sameSite: 'lax', path: FLOW_PATH, maxAge: Math.floor(oidc.flowMs / 1000),
    });
    return reply.redirect(url, 303);
  });

  app.get<{ Querystring: Static<typeof CallbackQuery> }>('/api/auth/oidc/callback', {
    schema: {
      tags: ['auth'], summary: 'Single sign-on callback (OpenID Connect)', querystring: CallbackQuery,
      description: "Where the identity provider sends the browser back: the code is exchanged, the session cookie set, and the browser sent to the page it came from; a refusal is a page naming why (401).",
      response: { 303: Type.Null({ description: 'Signed in; back to the page' }), 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const oidc = signIn();
    const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1 || req.url.length));
    void reply.clearCookie(OIDC_FLOW_COOKIE, { path: FLOW_PATH });
    let session: Awaited<ReturnType<OidcSignIn['complete']>>;
    try {
      session = await oidc.complete(query, readCookie(req.headers.cookie, OIDC_FLOW_COOKIE));
    } catch (error) {
      // A browser arrives here by navigation: it gets a page (DE/EN) naming the reason; API clients the JSON error.
      if (!(error instanceof OidcSignInError) || !req.headers.accept?.includes('text/html')) throw error;
      return reply.status(401).type('text/html; charset=utf-8').send(refusedPage(`oidc ${error.reason}`));
    }
    void reply.setCookie(SESSION_COOKIE, session.token, sessionCookie(d.sessionIdleMs));
    return reply.redirect(session.returnTo, 303);
  });
}
