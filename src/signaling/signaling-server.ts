// socket.io over the gateway's HTTPS and localhost HTTP servers. Namespaces
// keep the roles apart: /terminal (terminal credential cookie) and /desk (user
// session cookie), /admin the admin page's live updates (admin-namespace.ts), and /probe serves the SLA's synthetic probe only; every connection is authenticated before any event is
// accepted. Call-service events become socket events here; a party that drops
// keeps its call for the grace period.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server as Engine } from 'engine.io';
import { Server, type Namespace, type Socket } from 'socket.io';
import { sessionTokenHash, type Accounts, type Authenticator, type SessionEnd } from '../access/index.ts';
import type { Call, TerminalCaller } from '../calls/index.ts';
import { UnavailableError } from '../core/index.ts';
import { stateMessage } from './messages.ts';
import type { StatusSource, ComponentStatus } from '../lifecycle/index.ts';
import type { SignalingDeps, SignalingContext } from './context.ts';
import { terminalHandlers, openCall } from './terminal-handlers.ts';
import type { Credential } from '../credentials/index.ts';
import { deskHandlers } from './desk-handlers.ts';
import { CallNotifier } from './call-notifier.ts';
import { probeNamespace, PROBE_NAMESPACE } from './probe-namespace.ts';
import { AdminNamespace, ADMIN_NAMESPACE } from './admin-namespace.ts';
import type { DeskToServer, ServerToDesk, ServerToTerminal, TerminalShowMessage, TerminalToServer } from './contract.ts';

/** The namespaces typed by the contract's schemas: an emit of an unknown event or a wrong payload does not compile. */
type TerminalNamespace = Namespace<TerminalToServer, ServerToTerminal>;
type DeskNamespace = Namespace<DeskToServer, ServerToDesk>;

export class SignalingServer implements StatusSource {
  readonly name = 'signaling';
  readonly ctx: SignalingContext;
  readonly #accounts: Accounts;
  readonly #authenticator: Authenticator;
  readonly #engine: Engine;
  readonly #io: Server;
  readonly #terminals: TerminalNamespace;
  readonly #deskNs: DeskNamespace;
  readonly #grace = new Map<string, NodeJS.Timeout>();
  readonly #notifier: CallNotifier;
  readonly #admin: AdminNamespace;
  readonly #onSessionEnded: (end: SessionEnd) => void;
  readonly #onReload = (terminalId: string) => { this.#terminals.to(`terminal:${terminalId}`).emit('terminal.reload', {}); };
  #closed = false;

  /** allowHandshake: refuses a handshake before any socket exists (the gateway passes the web front door's Origin check). */
  constructor(deps: SignalingDeps & { accounts: Accounts; authenticator: Authenticator; allowHandshake?: (req: IncomingMessage, fn: (err: string | null | undefined, success: boolean) => void) => void }) {
    this.#accounts = deps.accounts;
    this.#authenticator = deps.authenticator;
    this.ctx = { ...deps, terminalInfo: (id) => deps.credentials.get(id) };
    // The transport ceiling sits well above the event limit, so an oversized event gets a named error, not a closed socket.
    this.#engine = new Engine({ pingInterval: 10_000, pingTimeout: 10_000, maxHttpBufferSize: Math.max(1024 * 1024, 2 * deps.maxEventBytes), allowRequest: deps.allowHandshake });
    this.#io = new Server({ serveClient: false });
    this.#io.bind(this.#engine as never);
    // One server, two namespaces with their own event maps (socket.io types a server with one map).
    this.#terminals = this.#io.of('/terminal') as unknown as TerminalNamespace;
    this.#deskNs = this.#io.of('/desk') as unknown as DeskNamespace;
    this.#notifier = new CallNotifier(this.ctx, this.#terminals, this.#deskNs);
    this.#terminals.use((socket, next) => void this.#authTerminal(socket).then(() => next(), (e: Error) => next(e)));
    this.#deskNs.use((socket, next) => void this.#authDesk(socket).then(() => next(), (e: Error) => next(e)));
    // The synthetic probe's own namespace: sign-in and one acknowledged ping, nothing else.
    probeNamespace(this.#io.of(PROBE_NAMESPACE), this.#authenticator);
    // The admin page's live updates: which section changed, for those who may see it.
    this.#admin = new AdminNamespace(this.#io.of(ADMIN_NAMESPACE), {
      authenticator: deps.authenticator, accounts: deps.accounts, roles: deps.roles, sites: deps.sites, calls: deps.calls,
      credentials: deps.credentials, sources: deps.admin, clock: deps.clock, logger: deps.logger,
    });
    this.#terminals.on('connection', (socket) => this.#onTerminal(socket));
    this.#deskNs.on('connection', (socket) => this.#onDesk(socket));
    // A desk whose session ends (logout, new password) is disconnected at once: no more events, no more rings.
    this.#onSessionEnded = (end) => {
      for (const socket of this.#deskNs.sockets.values()) {
        if ('tokenHash' in end ? socket.data.sessionHash === end.tokenHash : socket.data.userId === end.userId) socket.disconnect(true);
      }
    };
    deps.accounts.on('sessionended', this.#onSessionEnded);
    deps.kiosk.on('reload', this.#onReload);
    deps.credentials.on('revoked', (credential) => {
      if (credential.kind !== 'terminal') return;
      this.#terminals.in(`terminal:${credential.id}`).disconnectSockets(true);
      const call = deps.calls.callOfTerminal(credential.id);
      if (call) void deps.calls.endCall(call.id, 'disconnected').catch((e: Error) => deps.logger.error({ err: e }, 'signaling: ending a revoked terminal\'s call failed'));
    });
    // A rotated secret (re-pairing, or rotating a stolen kiosk's secret) ends the sessions of the old one.
    deps.credentials.on('rotated', (credential) => {
      if (credential.kind !== 'terminal') return;
      for (const socket of this.#terminals.sockets.values()) {
        if (socket.data.terminal?.id === credential.id && socket.data.terminalRotatedAt !== credential.rotatedAt) socket.disconnect(true);
      }
    });
  }

  /** Serves socket.io at /socket.io/ on the given servers, leaving other upgrade paths (such as /mqtt) alone. */
  attach(servers: HttpServer[]): void {
    for (const server of servers) this.#engine.attach(server, { path: '/socket.io/', destroyUpgrade: false } as never);
  }

  // Identity comes from the access component's authenticator, as for HTTP: the same cookie resolves the same way.
  async #authTerminal(socket: Socket): Promise<void> {
    const principal = await this.#authenticator.resolve(socket.request, ['terminal']);
    if (principal?.scheme !== 'terminal') throw new Error('unauthenticated');
    socket.data.terminal = principal.credential;
    socket.data.terminalRotatedAt = principal.credential.rotatedAt;
  }

  async #authDesk(socket: Socket): Promise<void> {
    const principal = await this.#authenticator.resolve(socket.request, ['session']);
    if (principal?.scheme !== 'session') throw new Error('unauthenticated');
    const userId = principal.id;
    socket.data.userId = userId;
    socket.data.sessionHash = sessionTokenHash(principal.sessionToken);
    // The sites whose calls this desk may answer (its rooms for queue updates).
    const sites = [];
    for (const site of await this.ctx.sites.list()) {
      if (await this.ctx.roles.can({ type: 'user', id: userId }, 'call.answer', site.id)) sites.push(site.id);
    }
    if (sites.length === 0) throw new Error('forbidden: requires permission call.answer');
    socket.data.sites = sites;
  }

  #onTerminal(socket: Socket): void {
    const terminal = socket.data.terminal;
    void socket.join(`terminal:${terminal.id}`);
    terminalHandlers(this.ctx, socket, terminal);
    this.ctx.kiosk.connected(terminal);
    this.#resume(`terminal:${terminal.id}`, this.ctx.calls.callOfTerminal(terminal.id), terminal.id, socket);
    socket.on('disconnect', () => {
      this.ctx.kiosk.disconnected(terminal.id);
      if (this.#terminals.adapter.rooms.get(`terminal:${terminal.id}`)?.size) return;
      const call = this.ctx.calls.callOfTerminal(terminal.id);
      if (call) this.#startGrace(`terminal:${terminal.id}`, call);
    });
  }

  #onDesk(socket: Socket): void {
    const userId: string = socket.data.userId;
    const sites: string[] = socket.data.sites;
    this.ctx.desks.add(userId, socket);
    void socket.join([`desk:${userId}`, ...sites.map((s) => `site:${s}`)]);
    // Answering and opening doors re-check the session: a logout or new password ends the desk at once.
    const sessionValid = async () => {
      if ((await this.#authenticator.resolve(socket.request, ['session']))?.id === userId) return true;
      // After the refusal's acknowledgement has gone out.
      setImmediate(() => socket.disconnect(true));
      return false;
    };
    deskHandlers(this.ctx, socket, userId, () => this.#presenceChanged(), sessionValid);
    this.#resume(`desk:${userId}`, this.ctx.calls.callOfDesk(userId), userId, socket);
    this.#notifier.sendQueues(socket);
    this.#presenceChanged();
    socket.on('disconnect', () => {
      if (!this.ctx.desks.remove(userId, socket)) return;
      void this.ctx.calls.deskGone(userId).catch((e: Error) => this.ctx.logger.error({ err: e }, 'signaling: deskGone failed'));
      const call = this.ctx.calls.callOfDesk(userId);
      if (call) this.#startGrace(`desk:${userId}`, call);
    });
  }

  /** A party that reconnects within the grace period gets its call back and starts its media afresh. */
  #resume(key: string, call: Call | undefined, participantId: string, socket: Socket): void {
    const timer = this.#grace.get(key);
    if (timer) { this.ctx.clock.clearTimeout(timer); this.#grace.delete(key); }
    if (!call) return;
    this.ctx.calls.resetMedia(call.id, participantId);
    socket.emit('call.resume', { callId: call.id, state: this.#notifier.state(call) });
  }

  #startGrace(key: string, call: Call): void {
    this.ctx.logger.info({ callId: call.id, party: key.split(':')[0] }, 'signaling: party disconnected; grace period');
    this.#grace.set(key, this.ctx.clock.setTimeout(() => {
      this.#grace.delete(key);
      void this.ctx.calls.endCall(call.id, 'disconnected').catch((e: Error) => this.ctx.logger.error({ err: e }, 'signaling: ending a call failed'));
    }, this.ctx.graceMs));
  }

  #presenceChanged(): void {
    for (const site of new Set(this.ctx.calls.activeCalls.map((c) => c.siteId))) {
      void this.ctx.calls.drainQueue(site).catch((e: Error) => this.ctx.logger.error({ err: e }, 'signaling: queue failed'));
    }
  }

  /** Content pushed to a terminal (rules of the device hub, admins): below calls in priority. */
  showOnTerminal(terminalId: string, message: TerminalShowMessage): boolean {
    const room = this.#terminals.adapter.rooms.get(`terminal:${terminalId}`);
    this.#terminals.to(`terminal:${terminalId}`).emit('terminal.show', message);
    return (room?.size ?? 0) > 0;
  }

  /** Wakes a terminal's screen (motion nearby); false when it is not connected. */
  wakeTerminal(terminalId: string): boolean {
    this.#terminals.to(`terminal:${terminalId}`).emit('terminal.wake', {});
    return (this.#terminals.adapter.rooms.get(`terminal:${terminalId}`)?.size ?? 0) > 0;
  }

  /** A call the gateway starts for a terminal (a rule's call.start); the page sets up its media on call.started. */
  async startCallFor(terminal: Credential, entryId: string): Promise<{ callId: string }> {
    const opened = await openCall(this.ctx, terminal, entryId);
    this.#terminals.to(`terminal:${terminal.id}`).emit('call.started', { ...opened, entryId });
    return { callId: opened.callId };
  }

  /**
   * A telephone calls a terminal that answers by itself (an inbound SIP number mapped to it): the
   * terminal must be connected (else unavailable, reason call.terminal-offline) and paired to a site;
   * the call is answered at once and the page sets up its media on call.started, showing `callback`
   * (who is connected, that camera and microphone are on) with a chime.
   */
  async callTerminalFromPhone(phone: TerminalCaller, terminalId: string, callerName: string, observe: (call: Call) => void): Promise<Call> {
    const terminal = await this.ctx.terminalInfo(terminalId);
    const connected = (this.#terminals.adapter.rooms.get(`terminal:${terminalId}`)?.size ?? 0) > 0;
    if (!terminal || terminal.revokedAt !== null || !terminal.siteId || !connected) {
      throw new UnavailableError(`terminal ${terminalId} is not connected`, { reason: 'call.terminal-offline' });
    }
    const call = await this.ctx.calls.callTerminalFromPhone(phone, { id: terminal.id, siteId: terminal.siteId }, observe);
    if (!call.ended) {
      this.#terminals.to(`terminal:${terminalId}`).emit('call.started', {
        callId: call.id, entryId: call.entryId, state: stateMessage(call), rtpCapabilities: call.media!.rtpCapabilities,
        audioCodec: call.participant(terminalId)!.audioCodec, callback: { caller: callerName },
      });
    }
    return call;
  }

  /** A notification to desks: one user, or every desk of a site. */
  notifyDesks(target: { userId: string } | { siteId: string }, text: { de: string; en: string }): void {
    const room = 'userId' in target ? `desk:${target.userId}` : `site:${target.siteId}`;
    this.#deskNs.to(room).emit('desk.notify', { text });
  }

  status(): ComponentStatus {
    return {
      state: this.#closed ? 'closed' : 'ready', terminals: this.#terminals.sockets.size, desks: this.ctx.desks.size, admins: this.#admin.size,
      calls: this.ctx.calls.activeCalls.length,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#grace.values()) this.ctx.clock.clearTimeout(t);
    this.#grace.clear();
    this.#notifier.close();
    this.#admin.close();
    this.#accounts.off('sessionended', this.#onSessionEnded);
    this.ctx.kiosk.off('reload', this.#onReload);
    this.#io.disconnectSockets(true);
    this.#engine.close();
    await new Promise<void>((resolve) => this.#io.close(() => resolve()));
  }
}
