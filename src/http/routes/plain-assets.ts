// The style and script of the plain pages the gateway writes itself (/ca,
// /first-run), served as files so those pages fit a CSP without inline code.
import type { FastifyInstance } from 'fastify';

const PLAIN_CSS = `body { font-family: sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5 }
form input, form button { font-size: 1.2rem }
form input { width: 100%; box-sizing: border-box; margin-bottom: 1rem }
[role=status]:empty { display: none }
h1 { font-size: 1.5rem } h2 { font-size: 1.2rem; margin-top: 2rem }
code { background: #f3f4f6; padding: .1rem .3rem; border-radius: .2rem; overflow-wrap: anywhere }
.download a { display: inline-block; padding: .6rem 1rem; background: #1f4e79; color: #fff; border-radius: .3rem; text-decoration: none }
.fingerprint code { display: block; padding: .6rem; font-size: 1rem; border: 1px solid #d1d5db }
table { border-collapse: collapse } th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e5e7eb; vertical-align: top }
`;

// Sets the first admin's password; the token travels in the fragment, never to the server's logs.
const FIRST_RUN_JS = `const TEXTS = {
  ok: 'Gespeichert. Jetzt als „admin“ anmelden. / Saved. Now sign in as "admin".',
  invalid: 'Abgelehnt / Refused: ',
  'rate-limited': 'Zu viele Versuche, bitte kurz warten. / Too many attempts, please wait a moment.',
  forbidden: 'Anfrage von einer fremden Seite abgelehnt. / Request from a foreign page refused.',
  failed: 'Fehler / Error: ',
};
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const status = document.getElementById('m');
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  try {
    const r = await fetch('/api/first-run', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: document.getElementById('p').value }) });
    const b = await r.json();
    if (r.ok) status.textContent = TEXTS.ok;
    else if (b.error === 'invalid') status.textContent = TEXTS.invalid + b.message;
    else status.textContent = TEXTS[b.error] || TEXTS.failed + b.message;
  } catch (error) {
    status.textContent = TEXTS.failed + error.message;
  }
});
`;

export async function plainAssetRoutes(app: FastifyInstance): Promise<void> {
  app.get('/assets/plain.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(PLAIN_CSS));
  app.get('/assets/first-run.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(FIRST_RUN_JS));
}
