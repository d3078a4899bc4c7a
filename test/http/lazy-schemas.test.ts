// Validators and serializers built at a route's first use behave as fastify's own (src/http/lazy-schemas.ts).
import { describe, it, expect } from 'vitest';
import Fastify from 'fastify';
import { LazySchemas } from '../../src/http/lazy-schemas.ts';

function appWith(schemas: LazySchemas) {
  const app = Fastify({ schemaController: { compilersFactory: schemas.factory } });
  app.get('/sum', {
    schema: {
      querystring: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer', default: 1 } }, required: ['a'] },
      response: { 200: { type: 'object', properties: { sum: { type: 'integer' }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } } } },
    },
  }, async (req) => {
    const { a, b } = req.query as { a: number; b: number };
    return { sum: a + b, note: null, secret: 'not in the schema' };
  });
  return app;
}

describe('lazy route schemas', () => {
  it('coerce, default, refuse and serialise like the eager ones, built on the first request', async () => {
    const schemas = new LazySchemas();
    const app = appWith(schemas);
    await app.ready();
    // GET and fastify's HEAD twin: a validator and a serializer each.
    expect(schemas.counts).toEqual({ registered: 4, built: 0 });
    const ok = await app.inject({ url: '/sum?a=2' });
    expect(ok.json()).toEqual({ sum: 3, note: null });
    expect(schemas.counts).toEqual({ registered: 4, built: 2 });
    const refused = await app.inject({ url: '/sum?a=x' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toBe('querystring/a must be integer');
    await app.close();
  });

  it('refuse a header schema at start (fastify would not lower-case its names)', async () => {
    const app = Fastify({ schemaController: { compilersFactory: new LazySchemas().factory } });
    app.get('/h', { schema: { headers: { type: 'object', properties: { 'X-Key': { type: 'string' } } } } }, async () => 'ok');
    await expect(app.ready()).rejects.toThrow(/header schemas are not supported/);
  });
});
