// Sign-in, sign-out, who-am-I, and the first-run page that sets the first admin's password.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { readCookie, type Accounts, type Roles, type FirstRun } from '../../access/index.ts';
import { SESSION_COOKIE, type Auth } from '../auth.ts';
import { ErrorBody } from './schemas.ts';
import { AssignmentView, Done, open } from './views.ts';

const LoginBody = Type.Object({
  login: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false });

const FirstRunBody = Type.Object({
  token: Type.String({ minLength: 16, maxLength: 128 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false });

// No inline script or style: the page fits the default CSP (src/http/defences.ts).
const FIRST_RUN_PAGE = `<!doctype html><html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Portier – Erster Start / First run</title>
<link rel="stylesheet" href="/assets/plain.css"><script type="module" src="/assets/first-run.js"></script></head>
<body><h1>Administrator-Passwort festlegen / Set the administrator password</h1>
<form id="f"><label for="p">Neues Passwort (mind. 12 Zeichen) / New password (12+ characters)</label><br>
<input id="p" type="password" autocomplete="new-password" minlength="12" required>
<button type="submit">Speichern / Save</button></form><p id="m" role="status"></p></body></html>`;

/** The session cookie's attributes, for every way of signing in (password here, single sign-on in oidc-routes.ts). */
export const sessionCookie = (idleMs: number) => ({
  httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: Math.floor(idleMs / 1000),
} as const);

export interface AuthRouteDeps {
  auth: Auth;
  accounts: Accounts;
  roles: Roles;
  firstRun: FirstRun;
  sessionIdleMs: number;
  /**
   * The admin page's change sequence: /api/auth/me carries its mark (X-Portier-Change-Seq) for someone who may use
   * the admin namespace — to anyone else its rise would tell of calls and changes at sites they may not see (review s27 #8).
   */
  adminChanges?: { mark(): string; mayRead(userId: string): Promise<boolean> };
}

export async function authRoutes(app: FastifyInstance, d: AuthRouteDeps): Promise<void> {
  app.post<{ Body: Static<typeof LoginBody> }>('/api/auth/login', {
    schema: {
      tags: ['auth'], body: LoginBody, summary: 'Sign in with a user name and password',
      description: 'Sets the session cookie portier_session (HttpOnly, Secure, SameSite=Strict; idle expiry auth.session_idle_hours). Failures are limited per account and address (423 locked, 429). Audited (auth.login).',
      response: { 200: Type.Object({ userId: Type.String(), expiresAt: Type.Number() }, { description: 'Signed in; the cookie is set' }), 401: ErrorBody, 423: ErrorBody, 429: ErrorBody },
    },
  }, async (req, reply) => {
    // req.ip is the connecting address, or X-Forwarded-For's client behind a proxy named in web.trust_proxy.
    const session = await d.accounts.login(req.body.login, req.body.password, req.ip);
    void reply.setCookie(SESSION_COOKIE, session.token, sessionCookie(d.sessionIdleMs));
    return { userId: session.userId, expiresAt: session.expiresAt };
  });

  app.post('/api/auth/logout', {
    schema: {
      tags: ['auth'], summary: 'Sign out', description: "Ends the request's session (its sockets are disconnected at once) and clears the cookie.",
      response: { 200: Done('Signed out') },
    },
  }, async (req, reply) => {
    // Read as it is (not through the authenticator): an expired session's row goes too.
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (token) await d.accounts.logout(token);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/auth/me', {
    schema: {
      tags: ['auth'], summary: 'Who is asking', description: 'The signed-in user (session cookie) or API token (bearer) and its role assignments; 401 otherwise. A signed-in user\'s answer carries X-Portier-Change-Seq, the admin page\'s change mark (its live socket\'s first connect hears what changed since; docs/signaling.md).',
      response: {
        200: open({
          type: Type.String({ description: 'user or credential' }), id: Type.String(), login: Type.Optional(Type.String()), displayName: Type.Optional(Type.String()),
          assignments: Type.Array(AssignmentView),
        }, 'The principal'),
        401: ErrorBody,
      },
    },
    preHandler: d.auth.authenticated(),
  }, async (req, reply) => {
    const p = req.principal!;
    // Read before anything the page loads after it: its live socket's first connect hears what changed since (src/signaling/admin-change-log.ts).
    if (p.type === 'user' && d.adminChanges && await d.adminChanges.mayRead(p.id)) void reply.header('x-portier-change-seq', d.adminChanges.mark());
    const assignments = await d.roles.assignments(p);
    if (p.type === 'user') {
      const user = await d.accounts.get(p.id);
      return { type: 'user', id: p.id, login: user?.login, displayName: user?.displayName, assignments };
    }
    return { type: 'credential', id: p.id, assignments };
  });

  // The token travels in the fragment (#token=…) so it never reaches access logs.
  app.get('/first-run', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(FIRST_RUN_PAGE));

  app.post<{ Body: Static<typeof FirstRunBody> }>('/api/first-run', {
    schema: {
      tags: ['auth'], summary: "Set the first admin's password with the first-run token", body: FirstRunBody,
      description: 'The token is in the file the gateway names at its first start (and in its link); single use. Audited (user.create-first-admin).',
      response: { 200: Done('The password is set'), 400: ErrorBody },
    },
  }, async (req) => {
    await d.firstRun.redeem(req.body.token, req.body.password);
    return { ok: true };
  });
}
