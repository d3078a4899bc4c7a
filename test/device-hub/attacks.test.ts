// The device hub of a started gateway under the attacks of the security review
// (issue 11), black-box: real mqtt.js clients and raw sockets against the
// gateway's ports, counters read from /ready on the localhost HTTP listener.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { connect, connectFrom, device, closeClient, granted } from '../support/mqtt.ts';

const PASSWORD = 'admin password 123';

/** A distinct leaf [a-z]+ per number (the ACL grants any [a-z-]{1,32} leaf of the own namespace). */
const leaf = (n: number): string => {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
};

/** Sends a WebSocket upgrade for `path` and resolves with what came back once the gateway closed the socket. */
function upgrade(port: number, path: string, secure: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = secure ? tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false }) : netConnect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`upgrade to ${path}: socket still open, got ${JSON.stringify(got)}`)); }, 10_000);
    socket.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    socket.on('error', () => {});
    socket.once('close', () => { clearTimeout(timer); resolve(got); });
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write([
      `GET ${path} HTTP/1.1`, 'Host: localhost', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol: mqtt', '', ''].join('\r\n')));
  });
}

describe('device hub under attack (gateway)', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let api: ApiClient;
  let doorId: string;
  let ca: string;
  let tcp: string;
  const mqttStatus = async () => (await api.get('/ready')).body.components.mqtt;
  const register = async (id: string, kind: string, extra: Record<string, unknown> = {}) => {
    const res = await api.post('/api/devices', { id, kind, siteId: 'hq', ...extra });
    expect(res.status).toBe(201);
    return { id, secret: res.body.secret as string };
  };

  beforeAll(async () => {
    // A short back-off keeps 40 sequential refusals quick; every other limit is the default.
    gw = await startGateway({ PORTIER_DEVICE_HUB__CONNECT_FAILURE_BACKOFF_MAX_SECONDS: '0.2' });
    api = new ApiClient(gw.base);
    expect((await api.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD })).status).toBe(200);
    expect((await api.post('/api/auth/login', { login: 'admin', password: PASSWORD })).status).toBe(200);
    expect((await api.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
    doorId = (await api.post('/api/sites/hq/doors', { name: 'Main entrance' })).body.id;
    ca = (await api.get('/ca.crt')).body;
    tcp = `mqtt://127.0.0.1:${gw.gateway.services.deviceHub.mqttPorts.tcp}`;
  });
  afterAll(async () => { await gw?.close(); });

  it('one SUBSCRIBE with 1 000 filters from a persistent session: one session write, the filters over max_filters_per_subscribe get 0x80', async () => {
    const s = await register('sensor-subs', 'sensor');
    const c = await connect(tcp, device(s, { clean: false }));
    const before = (await mqttStatus()).sessions.subscriptionWrites;
    const codes = await granted(c, Array.from({ length: 1000 }, (_, i) => `portier/hq/sensor-subs/${leaf(i)}`));
    expect(codes.slice(0, 50)).toEqual(Array(50).fill(1));
    expect(codes.slice(50)).toEqual(Array(950).fill(128));
    const after = await mqttStatus();
    expect(after.sessions.subscriptionWrites - before).toBe(1);
    expect(after.refused['filters-per-subscribe']).toBe(1);

    // Up to max_subscriptions_per_device (200) in all; new filters beyond it get 0x80, held ones stay granted.
    for (let k = 1; k < 4; k++) {
      expect(await granted(c, Array.from({ length: 50 }, (_, i) => `portier/hq/sensor-subs/${leaf(1000 * k + i)}`))).toEqual(Array(50).fill(1));
    }
    expect(await granted(c, ['portier/hq/sensor-subs/status', `portier/hq/sensor-subs/${leaf(0)}`])).toEqual([128, 1]);
    expect((await mqttStatus()).refused.subscriptions).toBe(1);
    // Unsubscribing frees the slots.
    await c.unsubscribeAsync([`portier/hq/sensor-subs/${leaf(1)}`]);
    expect(await granted(c, ['portier/hq/sensor-subs/status'])).toEqual([1]);
    expect((await mqttStatus()).sessions.subscriptionWrites - before).toBe(6);
    await closeClient(c);
  });

  it('checks and logs at most max_filters_per_subscribe filters of one SUBSCRIBE, also when all are foreign', async () => {
    const s = await register('sensor-foreign', 'sensor');
    const c = await connect(tcp, device(s));
    const before = (await mqttStatus()).refused['subscribe-acl'] ?? 0;
    const codes = await granted(c, Array.from({ length: 1000 }, (_, i) => `portier/hq/someone-else/${leaf(i)}`));
    expect(codes).toEqual(Array(1000).fill(128));
    expect((await mqttStatus()).refused['subscribe-acl'] - before).toBe(50);
    await closeClient(c);
  });

  it('answers WebSocket upgrades nobody serves (/mqttx, /mqtt/, /other) with 404 and closes them, on HTTP and HTTPS', async () => {
    const { http, https } = gw.gateway.services.web.ports;
    for (const [port, secure] of [[http, false], [https, true]] as const) {
      for (const path of ['/mqttx', '/mqtt/', '/mqtt/x?y=1', '/other']) {
        expect(await upgrade(port, path, secure)).toMatch(/^HTTP\/1\.1 404 /);
      }
    }
    // Served paths still work.
    const d = await register('display-ws', 'display');
    await closeClient(await connect(`ws://127.0.0.1:${http}/mqtt`, device(d)));
  });

  it('40 bad CONNECTs under a door\'s id from another address do not keep the real door out (TCP, then WSS on the HTTPS port)', async () => {
    const door = await register('door-main', 'door', { doorId });
    const codeOf = (attempt: Promise<{ endAsync(force: boolean): Promise<void> }>) =>
      attempt.then(async (c) => { await c.endAsync(true); return 0; }, (e: { code?: number }) => e.code ?? -1);
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) codes.push(await codeOf(connectFrom('127.0.0.2', tcp, device(door, { password: 'wrong' }))));
    // connect_failures_per_address_per_minute (20) secrets checked, then the address is refused unchecked.
    expect(codes).toEqual([...Array(20).fill(4), ...Array(20).fill(3)]);
    await closeClient(await connect(tcp, device(door)));

    const wss = `wss://localhost:${gw.gateway.services.web.ports.https}/mqtt`;
    codes.length = 0;
    for (let i = 0; i < 40; i++) codes.push(await codeOf(connectFrom('127.0.0.3', wss, device(door, { password: 'wrong', ca }))));
    expect(codes).toEqual([...Array(20).fill(4), ...Array(20).fill(3)]);
    await closeClient(await connect(wss, device(door, { ca })));
    expect((await mqttStatus()).refused).toMatchObject({ 'bad-credentials': 40, 'connect-failures': 40 });
  });

  it('counts unfinished TLS handshakes as pending connections of their address: the 21st is closed at once, devices elsewhere connect', async () => {
    const port = gw.gateway.services.deviceHub.mqttPorts.tls;
    const open = (from: string) => new Promise<Socket>((resolve) => {
      const socket = netConnect({ port, host: '127.0.0.1', localAddress: from });
      socket.on('error', () => {});
      socket.once('connect', () => resolve(socket));
    });
    const before = (await mqttStatus()).refused['pending-connections'] ?? 0;
    // max_pending_connections_per_address (20) raw TCP connections that never start their TLS handshake.
    const idle: Socket[] = [];
    for (let i = 0; i < 20; i++) idle.push(await open('127.0.0.7'));
    const extra = await open('127.0.0.7');
    await new Promise<void>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error('the 21st handshake-less connection is still open')), 5_000);
      extra.once('close', () => { clearTimeout(bound); resolve(); });
    });
    expect((await mqttStatus()).refused['pending-connections'] - before).toBe(1);
    const d = await register('sensor-tls', 'sensor');
    await closeClient(await connect(`mqtts://localhost:${port}`, device(d, { ca })));
    for (const socket of idle) socket.destroy();
  });

  it('refuses a device id shaped like a credential id (an integration token\'s UUID) in the admin API', async () => {
    const token = await api.post('/api/tokens', { label: 'monitoring', roleId: 'admin', siteId: null });
    expect(token.status).toBe(201);
    const uuid: string = token.body.credential.id;
    const res = await api.post('/api/devices', { id: uuid, kind: 'sensor', siteId: 'hq' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid', message: expect.stringContaining('UUID') });
    expect((await api.post('/api/devices', { id: '0b7c9d2e-1111-4a2b-8c3d-4e5f60718293', kind: 'sensor', siteId: 'hq' })).status).toBe(400);
    // The integration stays connected.
    const integration = await connect(tcp, { username: uuid, password: token.body.secret, clientId: uuid });
    expect(integration.connected).toBe(true);
    await closeClient(integration);
  });
});
