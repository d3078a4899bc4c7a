// The OpenAPI document for integrators (/openapi.json): every operation has a
// summary, a description and a documented success answer with its schema (no
// "Default Response"); every GET that can be called here is called as an admin (or
// as the kiosk, for the kiosk's own routes) and its answer validated with ajv
// against the documented schema; list answers equal the domain's own values (a
// too-narrow response schema would drop fields on serialisation); the shapes
// {device, secret} and {terminal, pairing} are documented and answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type SiteFixture } from '../support/signaling.ts';
import { passwordProblem } from '../../src/access/password.ts';
import { RELAY_CODE_PATTERN, SIP_USER_PATTERN } from '../../src/terminals/index.ts';

type Operation = { summary?: string; description?: string; responses?: Record<string, { description?: string; content?: Record<string, { schema?: object }> }> };
type Doc = { paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const isSuccess = (code: string) => /^2\d\d$/.test(code) || code === '303';
/** A JSON round trip: what the domain's value looks like on the wire without any schema. */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('OpenAPI document', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;
  let doc: Doc;
  let ruleId: string;
  const kiosk = () => { const c = new ApiClient(gw.base); c.cookie = site.terminal.cookie; return c; };

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    // Something in every list.
    expect((await site.admin.post('/api/devices', { id: 'lobby-reader', kind: 'card-reader', siteId: 'hq', doorId: site.doorId })).status).toBe(201);
    expect((await site.admin.post('/api/devices', { id: 'hall-sensor', kind: 'sensor', siteId: 'hq' })).status).toBe(201);
    expect((await site.admin.post('/api/cards', { siteId: 'hq', card: '04A1B2C3', holderRef: site.users.anna!.id, kind: 'employee' })).status).toBe(201);
    const rule = await site.admin.call('PUT', '/api/rules', {
      id: 'motion-desk', site: 'hq', trigger: { topic: 'portier/hq/hall-sensor/event', when: { type: 'motion' } }, actions: [{ type: 'desk.notify', role: 'reception', text: 'motion' }],
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(200);
    ruleId = rule.body.id;
    expect((await site.admin.post('/api/tokens', { label: 'integration', roleId: 'reception', siteId: 'hq' })).status).toBe(201);
    doc = (await site.admin.get('/openapi.json')).body;
  });
  afterAll(async () => { await gw?.close(); });

  const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).filter(([m]) => METHODS.includes(m)).map(([method, op]) => ({ path, method, op, name: `${method.toUpperCase()} ${path}` })));

  it('gives every operation a summary, a description and a documented success answer with its schema', () => {
    expect(operations().length).toBeGreaterThan(60);
    const problems: string[] = [];
    for (const { name, op } of operations()) {
      if (!op.summary?.trim()) problems.push(`${name}: no summary`);
      if (!op.description?.trim()) problems.push(`${name}: no description`);
      const successes = Object.entries(op.responses ?? {}).filter(([code]) => isSuccess(code));
      if (successes.length === 0) problems.push(`${name}: no success response documented`);
      for (const [code, r] of successes) {
        if (!r.description || r.description === 'Default Response') problems.push(`${name} ${code}: "Default Response"`);
        const bodyless = code === '204' || code === '303';
        if (!bodyless && !Object.values(r.content ?? {}).some((c) => c.schema)) problems.push(`${name} ${code}: no schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents the answers integrators had to find by trying: {device, secret} and {terminal, pairing}', () => {
    const schema = (path: string, method: string, code: string) => doc.paths[path]![method]!.responses![code]!.content!['application/json']!.schema as { properties: Record<string, { properties?: object }> };
    const device = schema('/api/devices', 'post', '201');
    expect(Object.keys(device.properties)).toEqual(['device', 'secret']);
    expect(Object.keys(device.properties.device!.properties!)).toEqual(expect.arrayContaining(['id', 'kind', 'siteId', 'doorId', 'credentialId']));
    const terminal = schema('/api/terminals', 'post', '201');
    expect(Object.keys(terminal.properties)).toEqual(['terminal', 'pairing']);
    expect(Object.keys(terminal.properties.pairing!.properties!)).toEqual(expect.arrayContaining(['code', 'expiresAt']));
  });

  /** How to call a GET: its path with ids this test created, its query, and who asks (admin or the kiosk). */
  const callable = (path: string): { url: string; as: 'admin' | 'kiosk' } | undefined => {
    const ids: Record<string, string> = { siteId: 'hq', kind: 'user', doorId: site.doorId };
    const byPath: Record<string, Record<string, string>> = {
      '/api/users/{id}/roles': { id: site.users.rita!.id },
      '/api/privacy/subjects/{kind}/{id}/export': { id: site.users.anna!.id },
      '/api/rules/{id}/versions': { id: ruleId },
      '/api/devices/{id}/connection': { id: 'lobby-reader' },
    };
    const query: Record<string, string> = { '/api/sla/report': '?site=hq&month=2026-01', '/api/devices': '?siteId=hq', '/api/cards': '?siteId=hq', '/api/rules': '?siteId=hq' };
    // The single sign-on callback needs a state only the identity provider's redirect carries.
    if (path === '/api/auth/oidc/callback') return undefined;
    let url = path;
    for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
      const value = byPath[path]?.[name!] ?? ids[name!];
      if (value === undefined) return undefined;
      url = url.replace(`{${name}}`, encodeURIComponent(value));
    }
    return { url: url + (query[path] ?? ''), as: path.startsWith('/api/terminal/') ? 'kiosk' : 'admin' };
  };

  it('answers every callable GET as its response schema says (ajv)', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const problems: string[] = [];
    let checked = 0;
    for (const { path, name, op } of operations().filter((o) => o.method === 'get')) {
      const call = callable(path);
      if (!call) continue;
      const res = await (call.as === 'kiosk' ? kiosk() : site.admin).call('GET', call.url);
      const documented = op.responses?.[String(res.status)];
      if (!documented) { problems.push(`${name}: answered ${res.status}, not documented`); continue; }
      const schema = documented.content?.['application/json']?.schema;
      if (!schema || !(res.headers.get('content-type') ?? '').includes('json')) continue;
      if (!ajv.validate(schema, res.body)) problems.push(`${name} ${res.status}: ${ajv.errorsText(ajv.errors)}`);
      checked += 1;
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('drops no field: list answers equal the domain values, and the secrets are in the answers', async () => {
    const s = gw.gateway.services;
    const body = async (path: string) => { const r = await site.admin.get(path); expect(r.status, path).toBe(200); return r.body; };
    expect(await body('/api/sites')).toEqual(wire(await s.sites.list()));
    const doorStatus = await s.deviceHub.doorStatus('hq');
    expect(await body('/api/sites/hq/doors')).toEqual(wire((await s.sites.doors('hq')).map((d) => ({ ...d, status: doorStatus.get(d.id) ?? { state: null, locked: null, at: null, controller: 'none' } }))));
    expect(await body('/api/users')).toEqual(wire(await s.accounts.list()));
    expect(await body('/api/roles')).toEqual(wire(await s.roles.list()));
    expect(await body('/api/sites/hq/phonebook')).toEqual(wire(s.phonebook.list('hq')));
    expect(await body('/api/devices?siteId=hq')).toEqual(wire(await s.deviceHub.listDevices('hq')));
    expect(await body('/api/rules?siteId=hq')).toEqual(wire(await s.deviceHub.listRules('hq')));
    expect(await body('/api/tokens')).toEqual(wire(await s.credentials.list('api-token')));
    const { seq } = await s.audit.head();
    expect(await body(`/api/audit?beforeSeq=${seq}&limit=20`)).toEqual(wire(await s.audit.list({ beforeSeq: seq, limit: 20 })));

    const device = await site.admin.post('/api/devices', { id: 'side-door', kind: 'door', siteId: 'hq', doorId: site.doorId });
    expect(device.status).toBe(201);
    expect(device.body.device).toEqual(wire(await s.deviceHub.device('side-door')));
    expect(device.body.secret).toMatch(/^ptr_/);
    const terminal = await site.admin.post('/api/terminals', { name: 'Lobby 2', siteId: 'hq', doorId: null });
    expect(terminal.status).toBe(201);
    expect(terminal.body.pairing).toEqual({ terminalId: terminal.body.terminal.id, code: expect.stringMatching(/^\d{4}-\d{4}$/), expiresAt: expect.any(Number) });
  });

  it("the admin page's forms take their fields' limits and patterns from the routes' own schemas (one source, src/http/routes/form-fields.ts)", async () => {
    // What the forms spread onto their inputs (web/src/admin/*.tsx import FIELDS).
    const { FIELDS, fieldRules } = await import('../../web/src/admin/form-limits.ts');
    type Field = { minLength?: number; maxLength?: number; pattern?: string; anyOf?: Field[]; properties?: Record<string, Field>; items?: Field; enum?: string[] };
    const paths = doc.paths as unknown as Record<string, Record<string, { requestBody: { content: Record<string, { schema: Field }> } }>>;
    const prop = (path: string, method: string, name: string) => paths[path]![method]!.requestBody.content['application/json']!.schema.properties![name]!;
    /** The string branch of a nullable field. */
    const str = (f: Field) => f.anyOf?.find((b) => 'maxLength' in b || 'pattern' in b) ?? f;
    /** The branch of a union of objects whose `type` or `way` is the given literal. */
    const branch = (f: Field, key: string, literal: string) => f.anyOf!.find((b) => b.properties?.[key]?.enum?.[0] === literal)!;
    const sipRoute = branch(prop('/api/phonebook/{id}', 'put', 'routes').items!, 'type', 'sip');
    /** The object branch of a SIP account's nullable inbound part. */
    const nullableInbound = prop('/api/sip-accounts', 'post', 'inbound');
    const inbound = nullableInbound.anyOf?.find((b) => b.properties !== undefined) ?? nullableInbound;
    const cases: Array<[keyof typeof FIELDS, Field]> = [
      ['deviceId', prop('/api/devices', 'post', 'id')],
      ['deviceLabel', prop('/api/devices', 'post', 'label')],
      ['deviceLabel', prop('/api/devices/{id}', 'patch', 'label')],
      ['terminalName', prop('/api/terminals', 'post', 'name')],
      ['sipRouteUser', sipRoute.properties!.user!],
      ['entryName', prop('/api/sites/{siteId}/phonebook', 'post', 'name')],
      ['entryDepartment', str(prop('/api/sites/{siteId}/phonebook', 'post', 'department'))],
      ['siteId', prop('/api/sites', 'post', 'id')],
      ['siteName', prop('/api/sites', 'post', 'name')],
      ['siteName', prop('/api/sites/{siteId}/doors', 'post', 'name')],
      ['timeZone', prop('/api/sites', 'post', 'timeZone')],
      ['login', prop('/api/users', 'post', 'login')],
      ['displayName', prop('/api/users', 'post', 'displayName')],
      ['newPassword', prop('/api/users', 'post', 'password')],
      ['cardNumber', prop('/api/cards', 'post', 'card')],
      ['holderRef', prop('/api/cards', 'post', 'holderRef')],
      ['stationName', prop('/api/sites/{siteId}/door-stations', 'post', 'name')],
      ['stationSipUser', prop('/api/sites/{siteId}/door-stations', 'post', 'sipUser')],
      ['relayCode', branch(prop('/api/sites/{siteId}/door-stations', 'post', 'relay'), 'way', 'sip-info').properties!.code!],
      ['sipInboundNumber', inbound.properties!.numbers!.items!.properties!.number!],
      ['sipInboundRealm', inbound.properties!.realm!],
      ['sipAccountUser', inbound.properties!.username!],
      ['sipCallerId', inbound.properties!.terminals!.items!.properties!.callers!.items!.properties!.id!],
      ['sipCallerName', inbound.properties!.terminals!.items!.properties!.callers!.items!.properties!.name!],
    ];
    for (const [name, schema] of cases) expect(FIELDS[name], name).toEqual(fieldRules(schema));
    // The rules the domain checks itself agree: the password minimum, a door station's SIP user and relay code.
    expect(FIELDS.newPassword.minLength).toBe(passwordProblem('x')!.params!.limit);
    expect(fieldRules({ pattern: SIP_USER_PATTERN }).pattern).toBe(FIELDS.stationSipUser.pattern);
    expect(fieldRules({ pattern: RELAY_CODE_PATTERN }).pattern).toBe(FIELDS.relayCode.pattern);
  });
});
