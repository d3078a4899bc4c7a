// The addresses the console shows an operator: the first-run link, the pages, and how to trust the local CA first.
import { X509Certificate } from 'node:crypto';
import type { WebServer } from '../http/index.ts';
import type { TlsProvider } from '../tls/index.ts';

/** A started gateway's listeners and certificate; `httpHost`: http.host. */
export interface ConsoleAddresses {
  httpHost: string;
  tls: TlsProvider;
  web: WebServer;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The link a browser on this machine opens as it is: the localhost HTTP listener
 * (no certificate to trust yet; browsers treat localhost as a secure origin). Only
 * when that listener is not on loopback, the HTTPS address (its CA must be trusted first).
 */
export function firstRunLink(at: ConsoleAddresses, token: string): string {
  const { ports } = at.web;
  if (LOOPBACK.has(at.httpHost)) return `http://localhost:${ports.http}/first-run#token=${token}`;
  return `${httpsBase(at)}/first-run#token=${token}`;
}

export function httpsBase(at: ConsoleAddresses): string {
  const host = at.tls.hostNames.find((h) => !h.includes(':')) ?? 'localhost';
  return `https://${host}:${at.web.ports.https}`;
}

/**
 * What to do with the first-run link, for the console (DE/EN): open it on this machine;
 * from another one, install the local CA from /ca after checking its SHA-256 fingerprint.
 */
export function firstRunHelp(at: ConsoleAddresses, link: string): string {
  const ca = at.tls.material.ca;
  const lines = [
    'portier: first run – open this link on this machine to set the admin password / Erststart – diesen Link auf diesem Rechner öffnen, um das Admin-Passwort zu setzen:',
    `  ${link}`,
  ];
  if (ca) {
    const fingerprint = new X509Certificate(ca).fingerprint256;
    const path = new URL(link).pathname + new URL(link).hash;
    lines.push(
      'portier: from another computer, first install the local CA from / von einem anderen Rechner zuerst die lokale CA installieren von:',
      `  ${httpsBase(at)}/ca   (SHA-256: ${fingerprint})`,
      `  then / dann: ${httpsBase(at)}${path}`,
    );
  }
  return lines.join('\n') + '\n';
}
