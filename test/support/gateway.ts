// Starts a real gateway in-process on ephemeral ports with a temp data dir,
// and a small client for its HTTP API.
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { Gateway } from '../../src/gateway.ts';
import { requireWorkerBin } from './tools.ts';
import { request } from 'node:http';
import type { Clock } from '../../src/core/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** `logger`: the gateway's (default silent), e.g. one that collects lines a test inspects. */
/** `sessionMinSeconds`: a session-timer floor below the 90 s the config allows (GatewayOptions, tests only). */
/** `webDir`: where the pages' bundles are read (default web/dist). `kernelPortFiles`: GatewayOptions' (tests only). */
export async function startGateway(env: Record<string, string> = {}, opts: {
  clock?: Clock; logger?: pino.Logger; sessionMinSeconds?: number; webDir?: string; kernelPortFiles?: { range: string; reserved: string };
} = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'portier-gw-'));
  const config = loadConfig({
    configDir: join(ROOT, 'config'), cwd: ROOT,
    env: {
      PORTIER_DATA_DIR: dataDir, PORTIER_HTTP__PORT: '0', PORTIER_HTTPS__PORT: '0', PORTIER_HTTPS__HOST: '127.0.0.1',
      PORTIER_HTTPS__HOST_NAMES: '[localhost, 127.0.0.1]', PORTIER_RTC__BASE_PORT: '0', PORTIER_MQTT__TCP__PORT: '0', PORTIER_MQTT__TLS__PORT: '0', PORTIER_RTC__WORKERS: '1',
      PORTIER_LOG__LEVEL: 'silent',
      // The SLA probe opens a router every minute; tests that count routers must not meet it (its own tests set it).
      PORTIER_SLA__PROBE_SECONDS: '3600', ...env,
    },
  });
  const gateway = new Gateway({ config, logger: opts.logger ?? pino({ level: 'silent' }), workerBin: requireWorkerBin(), clock: opts.clock, sessionMinSeconds: opts.sessionMinSeconds, webDir: opts.webDir,
    kernelPortFiles: opts.kernelPortFiles });
  await gateway.start();
  const base = `http://127.0.0.1:${gateway.services.web.ports.http}`;
  return {
    gateway, dataDir, base,
    firstRunToken: () => readFileSync(gateway.firstRunFile!, 'utf8').trim().split('#token=')[1]!,
    close: async () => { await gateway.close(); rmSync(dataDir, { recursive: true, force: true }); },
  };
}

export interface ApiResponse { status: number; body: any; headers: Headers }

/** Sets the first admin's password through the first-run link and signs in as that admin. */
export async function signInFirstAdmin(gw: { base: string; firstRunToken(): string }, password = 'admin password 123'): Promise<ApiClient> {
  const admin = new ApiClient(gw.base);
  for (const [path, body] of [['/api/first-run', { token: gw.firstRunToken(), password }], ['/api/auth/login', { login: 'admin', password }]] as const) {
    const res = await admin.post(path, body);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return admin;
}

/** A cookie-keeping API client (a browser stand-in for JSON routes). */
export class ApiClient {
  readonly base: string;
  cookie?: string;
  bearer?: string;

  /** Source address of the client's connections (any of 127/8), for per-address limits; default: the system's choice. */
  readonly localAddress?: string;
  /** Extra headers on every request (Origin, X-Forwarded-For …). */
  headers: Record<string, string> = {};

  constructor(base: string, opts: { localAddress?: string } = {}) {
    this.base = base;
    this.localAddress = opts.localAddress;
  }

  async call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // fetch cannot choose its source address; node:http can.
    const res = this.localAddress ? await requestFrom(this.localAddress, method, this.base + path, headers, payload)
      : await fetch(this.base + path, { method, headers, body: payload });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  }

  get = (path: string) => this.call('GET', path);
  post = (path: string, body?: unknown) => this.call('POST', path, body ?? {});
}

/** One HTTP request from a given source address, answered as a fetch Response. */
function requestFrom(localAddress: string, method: string, url: string, headers: Record<string, string>, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve(new Response(chunks.length ? Buffer.concat(chunks) : null, { status: res.statusCode!, headers: h }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
