// The plain pages the gateway writes itself for people outside the apps: /ca
// (styled, the certificate's SHA-256 fingerprint, instructions naming the file
// exactly as it downloads) and /api-reference (every operation of /openapi.json,
// German and English headings, nothing loaded from elsewhere).
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import type { ApiClient } from '../support/gateway.ts';
import type { Gw } from '../support/signaling.ts';
import { gatewayWithAdmin } from '../support/gateway-hooks.ts';

describe('plain pages', () => {
  let gw: Gw;
  let admin: ApiClient;

  gatewayWithAdmin({}, (g, a) => { gw = g; admin = a; });

  /** Every stylesheet and link target the page loads is the gateway's own, and served. */
  const ownAssets = async (html: string) => {
    const assets = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!);
    expect(assets.filter((a) => !a.startsWith('/'))).toEqual([]);
    for (const a of assets.filter((x) => x.startsWith('/assets/'))) expect((await fetch(gw.base + a)).status, a).toBe(200);
    expect(html).toContain('<link rel="stylesheet" href="/assets/plain.css">');
  };

  it('/ca shows the certificate\'s SHA-256 fingerprint and names the file as it downloads', async () => {
    const crt = await fetch(`${gw.base}/ca.crt`);
    const file = /filename="([^"]+)"/.exec(crt.headers.get('content-disposition') ?? '')?.[1];
    expect(file).toBe('portier-ca.crt');
    const fingerprint = new X509Certificate(await crt.text()).fingerprint256;
    const html = await (await fetch(`${gw.base}/ca`)).text();
    expect(html).toContain(`<code>${fingerprint}</code>`);
    expect(html).toMatch(/SHA-256-Fingerabdruck \/ SHA-256 fingerprint/);
    // Every instruction names the downloaded file; no other certificate name is mentioned.
    expect(html).toContain(`-i ${file}`);
    expect([...html.matchAll(/[\w.-]*\.crt\b/g)].map((m) => m[0]).filter((n) => n !== file && n !== 'ca.crt')).toEqual([]);
    expect(html.match(/(?<![\w-])ca\.crt/g)).toEqual(["ca.crt"]); // the download link's URL only
    await ownAssets(html);
  });

  it('/api-reference lists every operation of the OpenAPI document with its summary, in German and English headings', async () => {
    const doc = (await admin.get('/openapi.json')).body as { paths: Record<string, Record<string, { summary: string }>> };
    const res = await fetch(`${gw.base}/api-reference`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const listed = new Set([...html.matchAll(/data-operation="([^"]+)"/g)].map((m) => m[1]!.replace(/&quot;/g, '"')));
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.length).toBeGreaterThan(60);
    expect(operations.filter((o) => !listed.has(o))).toEqual([]);
    expect(html).toContain('API-Referenz / API reference');
    expect(html).toContain('Antworten / Responses');
    expect(html).toContain(doc.paths['/api/devices']!.post!.summary.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!));
    expect(html).not.toMatch(/<script|\sstyle=|https?:\/\//i);
    await ownAssets(html);
  });
});
