// The admin API's reference as a plain page (/api-reference): every operation of
// the OpenAPI document (/openapi.json) by tag — method, path, summary, description,
// its answers and the top-level fields of each — written by the gateway itself, no
// script and no CDN, headings in German and English.
import type { FastifyInstance } from 'fastify';

type Schema = { type?: string; description?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };
type Response = { description?: string; content?: Record<string, { schema?: Schema }> };
type Operation = { summary?: string; description?: string; tags?: string[]; responses?: Record<string, Response> };
type Document = { info?: { title?: string; version?: string }; paths?: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A schema in a few words: an object's fields, an array of objects' fields. */
function shape(schema: Schema | undefined): string {
  if (!schema) return '';
  const fields = (s: Schema) => Object.keys(s.properties ?? {}).map((k) => `<code>${escape(k)}</code>`).join(', ');
  if (schema.type === 'array' && schema.items?.properties) return `[ { ${fields(schema.items)} } ]`;
  if (schema.properties && Object.keys(schema.properties).length) return `{ ${fields(schema)} }`;
  return escape(schema.type ?? (schema.anyOf ? 'one of several shapes' : ''));
}

function responses(op: Operation): string {
  return Object.entries(op.responses ?? {}).map(([code, r]) => {
    const json = r.content?.['application/json']?.schema;
    const other = Object.keys(r.content ?? {}).filter((t) => t !== 'application/json');
    return `<li><strong>${escape(code)}</strong> ${escape(r.description ?? '')} ${shape(json)}${other.length ? ` (${other.map(escape).join(', ')})` : ''}</li>`;
  }).join('');
}

export function referencePage(doc: Document): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      if (!METHODS.includes(method)) continue;
      const tag = op.tags?.[0] ?? 'other';
      const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
      const entry = `<section class="operation" id="${escape(id)}" data-operation="${escape(`${method.toUpperCase()} ${path}`)}">
<h3><code>${method.toUpperCase()} ${escape(path)}</code></h3><p>${escape(op.summary ?? '')}</p>
${op.description ? `<p>${escape(op.description)}</p>` : ''}<h4>Antworten / Responses</h4><ul>${responses(op)}</ul></section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
    }
  }
  const tags = [...byTag.keys()].sort();
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Portier – API-Referenz / API reference</title><link rel="stylesheet" href="/assets/plain.css"></head><body>
<h1>API-Referenz / API reference</h1>
<p>${escape(doc.info?.title ?? 'Portier')} ${escape(doc.info?.version ?? '')}. Maschinenlesbar / machine-readable: <a href="/openapi.json">/openapi.json</a>.
Anmeldung per Sitzungs-Cookie oder <code>Authorization: Bearer</code>-Token / Sign in with the session cookie or a bearer token.</p>
<h2>Inhalt / Contents</h2><ul>${tags.map((t) => `<li><a href="#tag-${escape(t)}">${escape(t)}</a> (${byTag.get(t)!.length})</li>`).join('')}</ul>
${tags.map((t) => `<h2 id="tag-${escape(t)}">${escape(t)}</h2>${byTag.get(t)!.join('\n')}`).join('\n')}
</body></html>`;
}

export async function apiReferenceRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api-reference', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(referencePage(app.swagger() as Document)));
}
