// A site with people, a phone book and a paired terminal on a started gateway,
// and socket.io clients for terminals and desks.
import { io, type Socket } from 'socket.io-client';
import { ApiClient, startGateway } from './gateway.ts';

export type Gw = Awaited<ReturnType<typeof startGateway>>;
/** What seeding needs: the HTTP base URL and the first-run token (in-process or spawned gateway). */
export type GatewayAccess = { base: string; firstRunToken(): string };
export const PASSWORD = 'a long enough password';

export interface SiteFixture {
  admin: ApiClient;
  users: Record<string, { id: string; cookie: string }>;
  entries: Record<string, string>;
  terminal: { id: string; cookie: string };
  doorId: string;
}

/**
 * hq with host anna, receptionists rita and rolf, a door and a terminal bound to it.
 * Anna and the reception ring `legTimeoutS` (5 s): pages that answer or cancel a ring
 * by a click ask for longer, or a loaded machine lets the ring time out first.
 */
export async function seedSite(gw: GatewayAccess, { legTimeoutS = 5 }: { legTimeoutS?: number } = {}): Promise<SiteFixture> {
  const admin = new ApiClient(gw.base);
  // Every seeding step must succeed, or the test fails here and not somewhere later.
  const ok = async (res: Promise<{ status: number; body: any }>) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  await ok(admin.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD }));
  await ok(admin.post('/api/auth/login', { login: 'admin', password: PASSWORD }));
  await ok(admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' }));
  const door = await ok(admin.post('/api/sites/hq/doors', { name: 'Lobby door' }));
  const users: SiteFixture['users'] = {};
  for (const [login, role] of [['anna', 'host'], ['rita', 'reception'], ['rolf', 'reception'], ['gus', null]] as const) {
    const user = await ok(admin.post('/api/users', { login, displayName: login, password: PASSWORD }));
    if (role) await ok(admin.post(`/api/users/${user.id}/roles`, { roleId: role, siteId: 'hq' }));
    const client = new ApiClient(gw.base);
    await ok(client.post('/api/auth/login', { login, password: PASSWORD }));
    users[login] = { id: user.id, cookie: client.cookie! };
  }
  const entries: Record<string, string> = {};
  for (const body of [
    { kind: 'person', name: 'Anna Müller', department: 'Einkauf', routes: [{ type: 'desk-user', userId: users.anna!.id }], policy: { legTimeoutS } },
    { kind: 'reception', name: 'Empfang', routes: [{ type: 'desk-group', roleId: 'reception' }], policy: { legTimeoutS } },
  ]) {
    const res = await admin.post('/api/sites/hq/phonebook', body);
    if (res.status !== 201) throw new Error(`phonebook: ${JSON.stringify(res.body)}`);
    entries[body.name] = res.body.id;
  }
  const created = (await admin.post('/api/terminals', { name: 'Lobby 1', siteId: 'hq', doorId: door.id })).body;
  const kiosk = new ApiClient(gw.base);
  const paired = await kiosk.post('/api/terminal/pair', { code: created.pairing.code });
  if (paired.status !== 200) throw new Error(`pairing: ${JSON.stringify(paired.body)}`);
  return { admin, users, entries, terminal: { id: created.terminal.id, cookie: kiosk.cookie! }, doorId: door.id };
}

const buffers = new WeakMap<Socket, Array<{ event: string; payload: unknown }>>();

/** Connects, recording every event from the first moment so `next` never misses one. */
/**
 * Clients whose call events are recorded in order, as "event step/reason" (`seen`), and
 * closed together (`closeAll`): what the call-flow integration tests assert.
 */
export function callEventClients(gw: () => { base: string }) {
  const open: Socket[] = [];
  const seen = new Map<Socket, string[]>();
  const client = async (ns: '/terminal' | '/desk', cookie: string): Promise<Socket> => {
    const s = await connect(gw(), ns, cookie);
    open.push(s);
    const log: string[] = [];
    seen.set(s, log);
    s.onAny((event: string, m: any) => { if (event.startsWith('call.')) log.push([event, m?.step ?? m?.reason ?? ''].join(' ').trim()); });
    return s;
  };
  return { client, seen, closeAll: () => { open.forEach((s) => s.close()); } };
}

export function connect(gw: { base: string }, ns: '/terminal' | '/desk' | '/admin', cookie: string): Promise<Socket> {
  const socket = io(`${gw.base}${ns}`, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
  const buffer: Array<{ event: string; payload: unknown }> = [];
  buffers.set(socket, buffer);
  socket.onAny((event: string, payload: unknown) => buffer.push({ event, payload }));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e) => { socket.close(); reject(e); });
  });
}

/**
 * How long ack() and next() wait by default: a bound against a hang, not a claim about speed. On a loaded 2-core
 * machine a call's first set-up in a file (two SIP files beside each other at load ~18) took over 10 s, the old bound;
 * a test's own limit is 60 s (vitest.config.ts).
 */
const WAIT_BOUND_MS = 30_000;

export function ack<T = any>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return socket.timeout(WAIT_BOUND_MS).emitWithAck(event, payload) as Promise<T>;
}

/** The next not yet consumed event of that name (matching `where`), bounded in time. */
export function next<T = any>(socket: Socket, event: string, where: (m: T) => boolean = () => true, timeoutMs = WAIT_BOUND_MS): Promise<T> {
  const buffer = buffers.get(socket) ?? [];
  const take = (): T | undefined => {
    const i = buffer.findIndex((e) => e.event === event && where(e.payload as T));
    return i < 0 ? undefined : (buffer.splice(i, 1)[0]!.payload as T);
  };
  const found = take();
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.offAny(on); reject(new Error(`no ${event} within ${timeoutMs} ms`)); }, timeoutMs);
    const on = () => {
      // onAny listeners run in order: the recorder above has already buffered this event.
      const m = take();
      if (m === undefined) return;
      clearTimeout(timer);
      socket.offAny(on);
      resolve(m);
    };
    socket.onAny(on);
  });
}

export interface AnsweredCall { callId: string; terminal: Socket; rita: Socket; rolf: Socket; anna: Socket }

/**
 * The seeded terminal calls the reception and rita answers: connects the
 * terminal and the desks of rita, rolf and anna through `open` (a file's
 * recording client; default: connect to `gw`), waits for both receptionists'
 * rings, rita's answer, the terminal's `answered` and rolf's stop-ring.
 */
export async function answeredCall(
  gw: { base: string }, site: SiteFixture, open: (ns: '/terminal' | '/desk', cookie: string) => Promise<Socket> = (ns, cookie) => connect(gw, ns, cookie),
): Promise<AnsweredCall> {
  const [rita, rolf, anna, terminal] = [
    await open('/desk', site.users.rita!.cookie), await open('/desk', site.users.rolf!.cookie),
    await open('/desk', site.users.anna!.cookie), await open('/terminal', site.terminal.cookie),
  ];
  const rings = [next(rita, 'call.ring'), next(rolf, 'call.ring')];
  const started = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
  if (!started.ok) throw new Error(`call.start: ${JSON.stringify(started)}`);
  await Promise.all(rings);
  const answered = next(terminal, 'call.state', (m: { step: string }) => m.step === 'answered');
  const ok = await ack(rita, 'call.answer', { callId: started.callId });
  if (!ok.ok) throw new Error(`call.answer: ${JSON.stringify(ok)}`);
  await answered;
  await next(rolf, 'call.stop-ring');
  return { rita, rolf, anna, terminal, callId: started.callId as string };
}
