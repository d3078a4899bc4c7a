// The local CA's certificate and how to install it on terminals and desk PCs:
// the page names the file exactly as it downloads and shows the certificate's
// SHA-256 fingerprint to compare with what the device shows before trusting it.
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TlsProvider } from '../../tls/index.ts';

/** The name the certificate downloads as (Content-Disposition); the instructions use the same. */
export const CA_FILE = 'portier-ca.crt';

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The CA's SHA-256 fingerprint as devices show it (colon-separated hex), or undefined without a local CA. */
export function caFingerprint(ca: string | Buffer | undefined): string | undefined {
  return ca ? new X509Certificate(ca).fingerprint256 : undefined;
}

// No inline style: the page fits the default CSP (src/http/defences.ts).
function instructions(fingerprint: string | undefined): string {
  const head = `<!doctype html><html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Portier CA</title><link rel="stylesheet" href="/assets/plain.css"></head>
<body><h1>Portier-Zertifikat installieren / Install the Portier certificate</h1>`;
  if (!fingerprint) {
    return `${head}<p>Dieses Gateway nutzt ein konfiguriertes Zertifikat; es gibt keine lokale CA zu installieren.<br>
This gateway uses a configured certificate; there is no local CA to install.</p></body></html>`;
  }
  const file = escape(CA_FILE);
  return `${head}
<p class="download"><a href="/ca.crt" download="${file}">${file} herunterladen / download ${file}</a></p>
<p>SHA-256-Fingerabdruck / SHA-256 fingerprint:</p>
<p class="fingerprint" id="fingerprint"><code>${escape(fingerprint)}</code></p>
<p>Vergleichen Sie ihn vor dem Vertrauen mit dem Fingerabdruck, den das Gerät anzeigt. / Compare it with the fingerprint the device shows before you trust it.</p>
<h2>Deutsch</h2><ol>
<li>Windows: <code>${file}</code> öffnen → „Zertifikat installieren“ → Lokaler Computer → „Vertrauenswürdige Stammzertifizierungsstellen“.</li>
<li>Linux-Kiosk (Chromium): <code>certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n portier -i ${file}</code>.</li>
<li>Android/iPadOS: <code>${file}</code> öffnen, als CA-Zertifikat installieren und (iPadOS) unter Info → Zertifikatsvertrauen aktivieren.</li>
</ol><h2>English</h2><ol>
<li>Windows: open <code>${file}</code> → "Install certificate" → Local machine → "Trusted Root Certification Authorities".</li>
<li>Linux kiosk (Chromium): <code>certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n portier -i ${file}</code>.</li>
<li>Android/iPadOS: open <code>${file}</code>, install it as a CA certificate and (iPadOS) enable it under About → Certificate Trust Settings.</li>
</ol></body></html>`;
}

export async function caRoutes(app: FastifyInstance, { tls }: { tls: TlsProvider }): Promise<void> {
  app.get('/ca.crt', { schema: { hide: true } }, async (_req, reply) => {
    const ca = tls.material.ca;
    if (!ca) return reply.status(404).send({ error: 'not-found', message: 'a configured certificate is in use; no local CA' });
    return reply.type('application/x-x509-ca-cert').header('content-disposition', `attachment; filename="${CA_FILE}"`).send(ca);
  });
  // Built per request: a renewed CA shows its own fingerprint.
  app.get('/ca', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(instructions(caFingerprint(tls.material.ca))));
}
