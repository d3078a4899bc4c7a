// The local CA's certificate and how to install it on terminals and desk PCs.
import type { FastifyInstance } from 'fastify';
import type { TlsProvider } from '../../tls/index.ts';

// No inline style: the page fits the default CSP (src/http/defences.ts).
const INSTRUCTIONS = `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Portier CA</title>
<link rel="stylesheet" href="/assets/plain.css"></head>
<body>
<h1>Portier-Zertifikat installieren / Install the Portier certificate</h1>
<p><a href="/ca.crt">ca.crt herunterladen / download ca.crt</a></p>
<h2>Deutsch</h2><ol>
<li>Windows: Datei öffnen → „Zertifikat installieren“ → Lokaler Computer → „Vertrauenswürdige Stammzertifizierungsstellen“.</li>
<li>Linux-Kiosk (Chromium): <code>certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n portier -i ca.crt</code>.</li>
<li>Android/iPadOS: Datei öffnen, als CA-Zertifikat installieren und (iPadOS) unter Info → Zertifikatsvertrauen aktivieren.</li>
</ol><h2>English</h2><ol>
<li>Windows: open the file → "Install certificate" → Local machine → "Trusted Root Certification Authorities".</li>
<li>Linux kiosk (Chromium): <code>certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n portier -i ca.crt</code>.</li>
<li>Android/iPadOS: open the file, install it as a CA certificate and (iPadOS) enable it under About → Certificate Trust Settings.</li>
</ol></body></html>`;

export async function caRoutes(app: FastifyInstance, { tls }: { tls: TlsProvider }): Promise<void> {
  app.get('/ca.crt', { schema: { hide: true } }, async (_req, reply) => {
    const ca = tls.material.ca;
    if (!ca) return reply.status(404).send({ error: 'not-found', message: 'a configured certificate is in use; no local CA' });
    return reply.type('application/x-x509-ca-cert').header('content-disposition', 'attachment; filename="portier-ca.crt"').send(ca);
  });
  app.get('/ca', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(INSTRUCTIONS));
}
