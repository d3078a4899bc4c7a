// The web front door: one fastify app served over HTTPS (terminals, desks,
// admin) and over plain HTTP on localhost (development, health checks).
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import type { TlsProvider } from '../tls/index.ts';
import type { ComponentStatus, StatusSource } from '../lifecycle/index.ts';
import { errorHandler } from './errors.ts';
import { OriginCheck, webDefences } from './defences.ts';
import { compression } from './compression.ts';
import { authBeforeValidation } from './auth.ts';
import { apiReferenceRoutes } from './routes/api-reference.ts';
import { LazySchemas } from './lazy-schemas.ts';

// Not `import { createServer } from 'node:http'`: an ES module import of node:http reads all its
// exports, and the lazy WebSocket, CloseEvent and MessageEvent among them load Node's bundled
// undici (fetch) — 3.5 MiB of an idle gateway that never fetches (issue 16; Node 24).
// getBuiltinModule() hands over the module without reading them (test/integration/idle-memory).
const { createServer: createHttpServer } = process.getBuiltinModule('node:http');
const { createServer: createHttpsServer } = process.getBuiltinModule('node:https');

export interface WebServerOptions {
  http: { host: string; port: number };
  https: { host: string; port: number };
  /** Reverse proxies whose X-Forwarded-* headers are believed (addresses or CIDR); empty = none. */
  trustProxy: string[];
  tls: TlsProvider;
  logger: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers an upgrade request that nobody serves and closes its socket (also if the peer never reads). */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export class WebServer implements StatusSource {
  readonly name = 'http';
  readonly app: FastifyInstance;
  /** The Origin check of cookie-authenticated requests, also for socket.io handshakes. */
  readonly origins: OriginCheck;
  /** The routes' validators and serializers, each built at its route's first use. */
  readonly schemas = new LazySchemas();
  readonly #opts: WebServerOptions;
  #handler?: Handler;
  #https?: HttpsServer;
  #http?: HttpServer;
  #state: ComponentStatus['state'] = 'starting';
  #closed = false;

  constructor(opts: WebServerOptions) {
    this.#opts = opts;
    this.app = Fastify({
      loggerInstance: opts.logger.child({ component: 'http' }) as FastifyBaseLogger,
      bodyLimit: 1024 * 1024,
      schemaController: { compilersFactory: this.schemas.factory },
      // No two info lines per request (the admin page polls): one debug line per response (below).
      logController: new LogController({ disableRequestLogging: true }),
      trustProxy: opts.trustProxy.length > 0 ? opts.trustProxy : false,
      serverFactory: (handler) => {
        this.#handler = handler;
        const material = opts.tls.material;
        this.#https = createHttpsServer({ cert: material.cert, key: material.key }, handler);
        return this.#https;
      },
    }) as unknown as FastifyInstance;
    this.app.setErrorHandler(errorHandler);
    // The route's pattern, not its URL: a query or path may carry a token or a person's id.
    this.app.addHook('onResponse', async (req, reply) => {
      req.log.debug({ method: req.method, route: req.routeOptions.url ?? 'unrouted', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http: request');
    });
    this.origins = new OriginCheck(opts.trustProxy);
    webDefences(this.app, this.origins);
    // JSON and HTML compressed as the client accepts (the bundles are compressed at build time: routes/page-routes.ts).
    compression(this.app);
    authBeforeValidation(this.app);
    // Sets cookies only: the access component's authenticator is the one reader of the Cookie header.
    void this.app.register(cookie, { hook: false });
    void this.app.register(swagger, {
      openapi: { info: { title: 'Portier admin API', version: '0.1.0' }, components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'portier_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      }, security: [{ session: [] }, { bearer: [] }] },
    });
    this.app.get('/openapi.json', { schema: { hide: true } }, async () => this.app.swagger());
    // The same document as a plain page for people (src/http/routes/api-reference.ts).
    void this.app.register(apiReferenceRoutes);
    opts.tls.on('renewed', (m) => {
      this.#https?.setSecureContext({ cert: m.cert, key: m.key });
      opts.logger.info({ notAfter: new Date(m.notAfter).toISOString() }, 'https: certificate renewed');
    });
  }

  /**
   * Adds routes as a plugin, so they load after cookie and swagger (whose
   * onRoute hook builds the OpenAPI document from their schemas).
   */
  routes(register: (app: FastifyInstance) => void): void {
    void this.app.register(async (instance) => register(instance));
  }

  /**
   * WebSocket upgrades are served only where a listener serves them: under a
   * prefix (socket.io: engine.io matches by prefix) or at an exact path (MQTT
   * at /mqtt). Any other upgrade, such as /mqttx or /mqtt/, is answered 404 and
   * closed at once instead of holding a file descriptor (and the shutdown) forever.
   */
  allowUpgrades(served: { prefixes: string[]; paths: string[] }): void {
    for (const server of [this.#http, this.#https]) {
      server?.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
        const url = req.url ?? '';
        const path = url.split('?')[0]!;
        if (served.prefixes.some((p) => url.startsWith(p)) || served.paths.includes(path)) return;
        refuseUpgrade(socket, 404, 'Not Found');
      });
    }
  }

  get httpServer(): HttpServer | undefined { return this.#http; }
  get httpsServer(): HttpsServer | undefined { return this.#https; }

  get ports(): { http: number; https: number } {
    return {
      http: (this.#http?.address() as AddressInfo | null)?.port ?? 0,
      https: (this.#https?.address() as AddressInfo | null)?.port ?? 0,
    };
  }

  async start(): Promise<void> {
    await this.app.ready();
    // Fastify names the address http: although this listener speaks TLS.
    await this.app.listen({ host: this.#opts.https.host, port: this.#opts.https.port, listenTextResolver: (address) => `https: listening at ${address.replace(/^http:/, 'https:')}` });
    this.#http = createHttpServer(this.#handler!);
    await new Promise<void>((resolve, reject) => {
      this.#http!.once('error', reject);
      this.#http!.listen(this.#opts.http.port, this.#opts.http.host, () => {
        this.#http!.off('error', reject);
        resolve();
      });
    });
    this.#state = 'ready';
    this.#opts.logger.info({ ...this.ports }, 'http: listening');
  }

  status(): ComponentStatus {
    return { state: this.#state, http: { host: this.#opts.http.host, port: this.ports.http }, https: { host: this.#opts.https.host, port: this.ports.https } };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    const http = this.#http;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    this.#https?.closeAllConnections();
    await this.app.close();
  }
}
