// The real pages in Chromium, signed in: a terminal paired through its pairing
// form, a desk signed in through its login form (English texts; tests that check
// the German texts drive the forms themselves).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { setTimeout as delay } from 'node:timers/promises';
import type { SiteFixture } from './signaling.ts';

export const DESK_PASSWORD = 'a long enough password';

/**
 * How long a page's socket may take to connect: socket.io-client's first attempt may run
 * into its own 20 s timeout and a retry on a loaded machine (a fresh-clone run at load
 * 15–25 saw a desk still "reconnecting" after 30 s). A bound against a hang, not a figure.
 */
export const CONNECT_MS = 60_000;

export type PageOptions = { viewport?: { width: number; height: number } };

export async function englishPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  await capturePeerConnections(context);
  return context.newPage();
}

export type AdminPageOptions = PageOptions & {
  locale?: 'en' | 'de'; login?: string; permissions?: string[];
  /** Runs on the new page before it loads (routes, say). */
  prepare?: (page: Page) => Promise<void>;
  /** false: the test holds the page's live-update socket (a route): the page is ready once its sections show. */
  live?: false;
};

/**
 * The admin page signed in through its form, in the browser language `locale`
 * (its texts follow it): opened at localhost (a secure context: the Secure cookie
 * and the clipboard work), ready once a site's sections are shown and its live
 * updates are connected (adminReady).
 */
export async function adminPage(browser: Browser, base: string, password: string, options: AdminPageOptions = {}): Promise<Page> {
  const { locale = 'en', login = 'admin' } = options;
  const page = await openAdmin(browser, base, options);
  const de = locale === 'de';
  await page.getByLabel(de ? 'Benutzername' : 'User name').fill(login);
  await page.getByLabel(de ? 'Passwort' : 'Password').fill(password);
  await page.getByRole('button', { name: de ? 'Anmelden' : 'Sign in' }).click();
  await adminReady(page, options.live);
  return page;
}

/**
 * A signed-in admin page's sections are shown and its live-update socket is connected
 * (<html data-live="on">): a change made from now on reaches the page as admin.changed.
 * One made after a section's first load but before the socket connected shows too, a
 * little later: the first connect hands over the change mark the page read before its
 * loads (/api/auth/me) and refetches the sections changed since (test/e2e/admin-live).
 */
export async function adminReady(page: Page, live?: false): Promise<void> {
  await page.locator('#phonebook-heading').waitFor();
  if (live !== false) await page.locator('html[data-live="on"]').waitFor({ state: 'attached', timeout: CONNECT_MS });
}

/**
 * Admin pages of one gateway for files that open many of them and test neither
 * the sign-in nor sessions: each login signs in through the form once (adminPage),
 * later pages of that login open in a new context holding that session's cookie
 * (a page load instead of a sign-in — admin-edit signed in 18 times). Each page
 * still gets its own context, language, permissions and `prepare`.
 */
export function adminSessions(browser: Browser, base: string): (password: string, options?: AdminPageOptions) => Promise<Page> {
  const sessions = new Map<string, Awaited<ReturnType<BrowserContext['storageState']>>>();
  return async (password, options = {}) => {
    const key = JSON.stringify([options.login ?? 'admin', password]);
    const storageState = sessions.get(key);
    if (!storageState) {
      const page = await adminPage(browser, base, password, options);
      sessions.set(key, await page.context().storageState());
      return page;
    }
    const page = await openAdmin(browser, base, options, storageState);
    await adminReady(page, options.live);
    return page;
  };
}

/** A new context's admin page, loaded (signed out, or signed in by `storageState`'s cookie). */
async function openAdmin(browser: Browser, base: string, options: AdminPageOptions, storageState?: Awaited<ReturnType<BrowserContext['storageState']>>): Promise<Page> {
  const { locale = 'en', login: _login, permissions, prepare, live: _live, ...pageOptions } = options;
  const context = await browser.newContext({ locale: locale === 'de' ? 'de-DE' : 'en-US', storageState, ...pageOptions });
  if (permissions) await context.grantPermissions(permissions);
  const page = await context.newPage();
  await prepare?.(page);
  await page.goto(`${base.replace('127.0.0.1', 'localhost')}/admin`);
  return page;
}

export type InboundStats = { framesDecoded: number; audioPacketsReceived: number };

/** What the page received of one remote producer (summed over its open connections). */
export type ProducerInbound = { kind: 'audio' | 'video'; framesDecoded: number; packetsReceived: number; totalSamplesReceived: number };

/** What tests read in a page that captures its connections (installed by capturePeerConnections). */
export interface Captured {
  /** Every RTCPeerConnection the page created, in creation order. */
  peerConnections: RTCPeerConnection[];
  /** Every WebSocket the page opened (socket.io's among them), in creation order. */
  webSockets: WebSocket[];
  /** Every local track the page got from getUserMedia or made with MediaStreamTrack.clone, in creation order. */
  localTracks: MediaStreamTrack[];
  /**
   * The tracks of the page's calls: getUserMedia asking for audio and video together, and
   * clones — not the kiosk's one-kind device checks (web/src/terminal/health-report.ts).
   */
  callTracks: MediaStreamTrack[];
  /**
   * What the page decoded (video frames) and received (audio packets) on its open
   * peer connections created from index `from` on; closed ones (earlier calls) count nothing.
   */
  inbound(from?: number): Promise<InboundStats>;
  /**
   * Inbound statistics by the producer each stream consumes (matched by SSRC to
   * the gateway's `media.consume` acknowledgements the page received).
   */
  inboundByProducer(): Promise<Record<string, ProducerInbound>>;
}

declare global {
  interface Window { __captured?: Captured }
}

/**
 * Records every RTCPeerConnection and WebSocket the page creates, before any of
 * its scripts run: the production pages carry no test hooks, tests read media
 * statistics from the captured connections instead.
 */
export async function capturePeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    // SSRC of each consumer the gateway created for this page → the producer it consumes.
    const consumed = new Map<number, string>();
    const captured: Captured = {
      peerConnections: [],
      webSockets: [],
      localTracks: [],
      callTracks: [],
      inbound: async (from = 0) => {
        const result = { framesDecoded: 0, audioPacketsReceived: 0 };
        for (const pc of captured.peerConnections.slice(from)) {
          if (pc.signalingState === 'closed') continue;
          (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number }) => {
            if (s.type !== 'inbound-rtp') return;
            if (s.kind === 'video') result.framesDecoded += s.framesDecoded ?? 0;
            if (s.kind === 'audio') result.audioPacketsReceived += s.packetsReceived ?? 0;
          });
        }
        return result;
      },
      inboundByProducer: async () => {
        const result: Record<string, ProducerInbound> = {};
        for (const pc of captured.peerConnections) {
          if (pc.signalingState === 'closed') continue;
          (await pc.getStats()).forEach((s: { type: string; kind?: 'audio' | 'video'; ssrc?: number; framesDecoded?: number; packetsReceived?: number; totalSamplesReceived?: number }) => {
            const producerId = s.type === 'inbound-rtp' && s.ssrc !== undefined ? consumed.get(s.ssrc) : undefined;
            if (!producerId || !s.kind) return;
            const r = (result[producerId] ??= { kind: s.kind, framesDecoded: 0, packetsReceived: 0, totalSamplesReceived: 0 });
            r.framesDecoded += s.framesDecoded ?? 0;
            r.packetsReceived += s.packetsReceived ?? 0;
            r.totalSamplesReceived += s.totalSamplesReceived ?? 0;
          });
        }
        return result;
      },
    };
    window.__captured = captured;
    // socket.io acknowledgement frames (`43/desk,12[{"ok":true,"consumer":{…}}]`) of media.consume.
    const recordConsumer = (data: unknown) => {
      if (typeof data !== 'string' || !data.startsWith('43') || !data.includes('"consumer"')) return;
      try {
        const [ack] = JSON.parse(data.slice(data.indexOf('['))) as [{ consumer?: { producerId: string; rtpParameters: { encodings?: Array<{ ssrc?: number }> } } }];
        const ssrc = ack.consumer?.rtpParameters.encodings?.[0]?.ssrc;
        if (ack.consumer && ssrc !== undefined) consumed.set(ssrc, ack.consumer.producerId);
      } catch { /* not an acknowledgement of ours */ }
    };
    const Pc = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Pc {
      constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) { super(...args); captured.peerConnections.push(this); }
    };
    const getUserMedia = navigator.mediaDevices?.getUserMedia.bind(navigator.mediaDevices);
    if (getUserMedia) {
      navigator.mediaDevices.getUserMedia = async (...args) => {
        const stream = await getUserMedia(...args);
        captured.localTracks.push(...stream.getTracks());
        if (args[0]?.audio && args[0]?.video) captured.callTracks.push(...stream.getTracks());
        return stream;
      };
    }
    const clone = MediaStreamTrack.prototype.clone;
    MediaStreamTrack.prototype.clone = function (this: MediaStreamTrack) { const track = clone.call(this); captured.localTracks.push(track); captured.callTracks.push(track); return track; };
    const Ws = window.WebSocket;
    window.WebSocket = class extends Ws {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        captured.webSockets.push(this);
        this.addEventListener('message', (e) => recordConsumer(e.data));
      }
    };
  });
}

/**
 * A terminal page paired through its form (bound to `doorId` when given), once the gateway can
 * reach it (terminalConnected). `prepare` runs on the new page before it loads (routes, say).
 */
export async function pairedTerminalPage(browser: Browser, url: string, site: SiteFixture, name: string, options: PageOptions & { doorId?: string; prepare?: (page: Page) => Promise<void> } = {}): Promise<Page> {
  const { doorId, prepare, ...pageOptions } = options;
  const created = (await site.admin.post('/api/terminals', { name, siteId: 'hq', ...(doorId ? { doorId } : {}) })).body;
  const terminal = await englishPage(browser, pageOptions);
  return closedOnFailure(terminal, async () => {
    await prepare?.(terminal);
    await terminal.goto(`${url}/terminal`);
    await terminal.getByLabel('Pairing code').fill(created.pairing.code);
    await terminal.getByRole('button', { name: 'Pair' }).click();
    await terminalConnected(terminal);
  });
}

/**
 * Resolves once a terminal page's socket.io connection is up, so the gateway can reach it (a telephone's
 * call, content, a wake, a reload): its start screen is drawn without the "reconnecting" banner, which
 * it shows from its first render until the first connect too. In either language.
 */
export async function terminalConnected(terminal: Page): Promise<void> {
  await terminal.getByRole('heading', { name: /^(Welcome! Who would you like to see\?|Willkommen! Wen möchten Sie sprechen\?)$/ }).waitFor();
  await terminal.getByRole('status').filter({ hasText: /^(Reconnecting to the server …|Verbindung zum Server wird wiederhergestellt …)$/ }).waitFor({ state: 'hidden', timeout: CONNECT_MS });
}

export async function deskPage(browser: Browser, url: string, login: string, options: PageOptions = {}): Promise<Page> {
  const desk = await englishPage(browser, options);
  return closedOnFailure(desk, async () => {
    await desk.goto(`${url}/desk`);
    await desk.getByLabel('User name').fill(login);
    await desk.getByLabel('Password').fill(DESK_PASSWORD);
    await desk.getByRole('button', { name: 'Sign in' }).click();
    await deskConnected(desk);
  });
}

/**
 * Runs a page's set-up; if it fails, closes the page's context before the error goes on:
 * a page the test never got would stay signed in and connected for the rest of the file
 * (stop 26's CI: one desk that failed to show itself connected kept the gateway's desk count
 * at 1, and every later test of kiosk.test.ts failed its afterEach).
 */
async function closedOnFailure(page: Page, setUp: () => Promise<void>): Promise<Page> {
  try {
    await setUp();
    return page;
  } catch (error) {
    await page.context().close().catch(() => undefined);
    throw error;
  }
}

/**
 * A signed-in desk page is drawn before its socket connects: until then it says
 * "No connection – reconnecting …" and the gateway does not know the desk, so a
 * call started at that moment finds no receptionist (the kiosk test's queue case
 * failed in CI that way). Ready means drawn and connected, in either language.
 */
export async function deskConnected(desk: Page): Promise<void> {
  await desk.getByRole('heading', { name: /^(Reception queue|Warteschlange am Empfang)$/ }).waitFor();
  await desk.getByText(/^(No connection – reconnecting …|Keine Verbindung – wird wiederhergestellt …)$/).waitFor({ state: 'detached', timeout: CONNECT_MS });
}

/**
 * Desk pages of one gateway for files that open a login's desk in several tests and
 * test neither the sign-in nor sessions (adminSessions' counterpart): a login's first
 * desk signs in through the form (deskPage), later ones open in a new English context
 * holding that session's cookie — a page load instead of a sign-in and its password hash.
 */
export function deskSessions(browser: Browser, url: string): (login: string, options?: PageOptions) => Promise<Page> {
  const sessions = new Map<string, Awaited<ReturnType<BrowserContext['storageState']>>>();
  return async (login, options = {}) => {
    const storageState = sessions.get(login);
    if (!storageState) {
      const desk = await deskPage(browser, url, login, options);
      sessions.set(login, await desk.context().storageState());
      return desk;
    }
    const context = await browser.newContext({ locale: 'en-US', storageState, ...options });
    await capturePeerConnections(context);
    const desk = await context.newPage();
    return closedOnFailure(desk, async () => {
      await desk.goto(`${url}/desk`);
      await deskConnected(desk);
    });
  };
}

/**
 * Re-evaluates `check` in the page until it returns a truthy value (bounded).
 * For WebRTC statistics, which have no event to wait for. (Playwright's
 * waitForFunction treats an async predicate's promise as truthy at once, so it
 * cannot be used for getStats.)
 */
export async function pollPage<A, T>(page: Page, check: (arg: A) => Promise<T | false>, arg: A, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(check as (a: unknown) => Promise<T | false>, arg as unknown);
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`condition not met in the page within ${timeoutMs} ms`);
    await delay(POLL_MS);
  }
}

const POLL_MS = 100;

/**
 * Counts the page's fetches and response-body reads in flight (before any of its
 * scripts run; the production pages carry no test hooks): what fetchesSettled reads.
 */
export async function trackFetches(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const state = { inFlight: 0, started: 0 };
    (window as unknown as { __fetches: typeof state }).__fetches = state;
    const counted = <T>(p: Promise<T>): Promise<T> => { state.inFlight += 1; return p.finally(() => { state.inFlight -= 1; }); };
    const fetch = window.fetch.bind(window);
    window.fetch = (...args: Parameters<typeof fetch>) => { state.started += 1; return counted(fetch(...args)); };
    for (const read of ['text', 'json', 'arrayBuffer', 'blob'] as const) {
      const original = Response.prototype[read] as (this: Response) => Promise<unknown>;
      (Response.prototype as unknown as Record<string, unknown>)[read] = function (this: Response) { return counted(original.call(this)); };
    }
  });
}

/**
 * Resolves once a page's loads (trackFetches) have settled: no fetch or body read in flight,
 * and none started through two frames and the task after each — a page's effects (Preact runs
 * them after the next frame) have had their turn to ask for what the last answers name (a
 * section's list, then its photos). Events of the page, not a quiet time: `networkidle`'s
 * 500 ms without a request passed between two such rounds on a loaded machine (review s26 #7).
 * Frames run on the page's clock: a paused fake clock holds this too.
 */
export async function fetchesSettled(page: Page, timeoutMs = 30_000): Promise<void> {
  await pollPage(page, async () => {
    const state = (window as unknown as { __fetches: { inFlight: number; started: number } }).__fetches;
    if (state.inFlight > 0) return false;
    const started = state.started;
    const turn = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    await turn();
    await turn();
    return state.inFlight === 0 && state.started === started;
  }, undefined, timeoutMs);
}

/** The page's inbound media statistics on connections created from index `from` on. */
export const inboundOf = (page: Page, from = 0): Promise<InboundStats> =>
  page.evaluate((f) => window.__captured!.inbound(f), from);

/**
 * The kinds of the page's receivers that still receive (transceivers of its open connections whose
 * current direction receives), sorted; a closed consumer's transceiver is stopped and not among them,
 * nor is mediasoup-client's RTP probator (mid `probator`, a video receiver for bandwidth probation).
 */
export const receivingKinds = (page: Page): Promise<string[]> => page.evaluate(() => window.__captured!.peerConnections
  .filter((pc) => pc.signalingState !== 'closed')
  .flatMap((pc) => pc.getTransceivers())
  .filter((t) => t.mid !== 'probator' && (t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv'))
  .map((t) => t.receiver.track.kind)
  .sort());

/** How many peer connections the page has created so far. */
export const peerConnectionCount = (page: Page): Promise<number> => page.evaluate(() => window.__captured?.peerConnections.length ?? 0);

/** Polls the page's inbound statistics until `enough` holds (bounded); resolves with them. */
export async function waitForInbound(page: Page, enough: (s: InboundStats) => boolean, from = 0, timeoutMs = 30_000): Promise<InboundStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await inboundOf(page, from);
    if (enough(s)) return s;
    if (Date.now() > deadline) throw new Error(`inbound media not enough within ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await delay(POLL_MS);
  }
}

/** The page's inbound statistics per remote producer (see Captured.inboundByProducer). */
export const inboundByProducer = (page: Page): Promise<Record<string, ProducerInbound>> => page.evaluate(() => window.__captured!.inboundByProducer());

/**
 * Waits until the page decodes video frames (video) and plays out audio samples
 * (audio) of every producer in `producers`, then until each of them has risen
 * again since (a stream that keeps flowing, not a first burst); resolves with the
 * last reading. Bounded.
 */
export async function waitForEachProducer(page: Page, producers: Array<{ producerId: string; kind: 'audio' | 'video' }>, timeoutMs = 30_000): Promise<Record<string, ProducerInbound>> {
  const level = (s: ProducerInbound | undefined, kind: 'audio' | 'video') => (s ? (kind === 'video' ? s.framesDecoded : s.totalSamplesReceived) : 0);
  const deadline = Date.now() + timeoutMs;
  let first: Record<string, ProducerInbound> | null = null;
  for (;;) {
    const now = await inboundByProducer(page);
    const above = (base: Record<string, ProducerInbound> | null) => producers.every((p) => level(now[p.producerId], p.kind) > level(base?.[p.producerId], p.kind));
    if (!first) { if (above(null)) first = now; } else if (above(first)) return now;
    if (Date.now() > deadline) {
      throw new Error(`not every producer flows within ${timeoutMs} ms: expected ${JSON.stringify(producers)}, got ${JSON.stringify(now)}`);
    }
    await delay(POLL_MS);
  }
}
