// The real pages in Chromium, signed in: a terminal paired through its pairing
// form, a desk signed in through its login form (English texts; tests that check
// the German texts drive the forms themselves).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { setTimeout as delay } from 'node:timers/promises';
import type { SiteFixture } from './signaling.ts';

export const DESK_PASSWORD = 'a long enough password';

export type PageOptions = { viewport?: { width: number; height: number } };

export async function englishPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  await capturePeerConnections(context);
  return context.newPage();
}

export type InboundStats = { framesDecoded: number; audioPacketsReceived: number };

/** What tests read in a page that captures its connections (installed by capturePeerConnections). */
export interface Captured {
  /** Every RTCPeerConnection the page created, in creation order. */
  peerConnections: RTCPeerConnection[];
  /** Every WebSocket the page opened (socket.io's among them), in creation order. */
  webSockets: WebSocket[];
  /**
   * What the page decoded (video frames) and received (audio packets) on its open
   * peer connections created from index `from` on; closed ones (earlier calls) count nothing.
   */
  inbound(from?: number): Promise<InboundStats>;
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
    const captured: Captured = {
      peerConnections: [],
      webSockets: [],
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
    };
    window.__captured = captured;
    const Pc = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Pc {
      constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) { super(...args); captured.peerConnections.push(this); }
    };
    const Ws = window.WebSocket;
    window.WebSocket = class extends Ws {
      constructor(...args: ConstructorParameters<typeof WebSocket>) { super(...args); captured.webSockets.push(this); }
    };
  });
}

/** A terminal page paired through its form (bound to `doorId` when given). */
export async function pairedTerminalPage(browser: Browser, url: string, site: SiteFixture, name: string, options: PageOptions & { doorId?: string } = {}): Promise<Page> {
  const { doorId, ...pageOptions } = options;
  const created = (await site.admin.post('/api/terminals', { name, siteId: 'hq', ...(doorId ? { doorId } : {}) })).body;
  const terminal = await englishPage(browser, pageOptions);
  await terminal.goto(`${url}/terminal`);
  await terminal.getByLabel('Pairing code').fill(created.pairing.code);
  await terminal.getByRole('button', { name: 'Pair' }).click();
  await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();
  return terminal;
}

export async function deskPage(browser: Browser, url: string, login: string, options: PageOptions = {}): Promise<Page> {
  const desk = await englishPage(browser, options);
  await desk.goto(`${url}/desk`);
  await desk.getByLabel('User name').fill(login);
  await desk.getByLabel('Password').fill(DESK_PASSWORD);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.getByRole('heading', { name: 'Reception queue' }).waitFor();
  return desk;
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

/** The page's inbound media statistics on connections created from index `from` on. */
export const inboundOf = (page: Page, from = 0): Promise<InboundStats> =>
  page.evaluate((f) => window.__captured!.inbound(f), from);

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
