// Helpers for browser tests of calls with several desks: rings long enough for a
// loaded machine, a visitor's call answered by the reception through the pages
// (with a colleague's desk open beside it),
// "does this page receive every producer of those participants" checked
// against the gateway's own view of the call's media, and "does the visitor's
// page receive from one other only" once a desk left.
import { expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ProducerInfo } from '../../src/calls/index.ts';
import { seedSite, type Gw, type SiteFixture } from './signaling.ts';
import { startGateway } from './gateway.ts';
import { launchChromium } from './browser.ts';
import { deskSessions, pairedTerminalPage, pollPage, receivingKinds, waitForEachProducer, type PageOptions, type ProducerInbound } from './pages.ts';

/** What a file of Chromium call tests shares: a gateway with the seeded site ringing long, one Chromium, and the pages it opened. */
export interface CallSite {
  gw: Gw;
  site: SiteFixture;
  chromium: { browser: Browser; close: () => Promise<void> };
  /** The gateway's base URL as the pages load it (localhost: a secure context). */
  url: string;
  /** Awaits a page being opened and keeps it for closePages(). */
  open: (p: Promise<Page>) => Promise<Page>;
  /** A login's desk page, kept for closePages(): signed in through its form once per login, later by its session (deskSessions). */
  desk: (login: string, options?: PageOptions) => Promise<Page>;
  /** Closes every page opened so far (each one's context). */
  closePages: () => Promise<void>;
  /** `flowsFrom` against this gateway: `page` (participant `participantId`) decodes and plays every producer of `from`. */
  flowsFrom: (page: Page, callId: string, participantId: string, from: string[]) => Promise<Record<string, ProducerInbound>>;
  /** `producersFor` against this gateway: what `participantId` may receive now. */
  producersFor: (callId: string, participantId: string) => ProducerInfo[];
  /** Closes the pages, Chromium and the gateway. */
  close: () => Promise<void>;
}

/** `env`: the gateway's configuration overrides (PORTIER_… variables), e.g. a site with a ringing preview. */
export async function openCallSite(env: Record<string, string> = {}): Promise<CallSite> {
  const gw = await startGateway(env);
  const site = await seedSite(gw);
  const chromium = await launchChromium();
  await longRings(site);
  const pages: Page[] = [];
  const closePages = async () => { for (const p of pages.splice(0)) await p.context().close(); };
  const open = async (p: Promise<Page>) => { const page = await p; pages.push(page); return page; };
  const url = gw.base.replace('127.0.0.1', 'localhost');
  const desks = deskSessions(chromium.browser, url);
  return {
    gw, site, chromium, url, closePages, open,
    desk: (login, options) => open(desks(login, options)),
    flowsFrom: (page, callId, participantId, from) => flowsFrom(gw, page, callId, participantId, from),
    producersFor: (callId, participantId) => producersFor(gw, callId, participantId),
    close: async () => {
      await closePages().catch(() => undefined);
      await chromium.close();
      await gw.close();
    },
  };
}

/**
 * A terminal page paired as `terminalName` (kept by `cs.open`) calls the reception and Rita answers on her desk page
 * `rita`; once the terminal shows the call answered: its page, the gateway's call (the only one active), the visitor's
 * and Rita's participant ids.
 */
export async function receptionAnswers(cs: CallSite, rita: Page, terminalName: string) {
  const { gw, site } = cs;
  const terminal = await cs.open(pairedTerminalPage(cs.chromium.browser, cs.url, site, terminalName, { doorId: site.doorId }));
  await terminal.getByRole('button', { name: 'Call the reception' }).click();
  await rita.getByRole('alertdialog', { name: new RegExp(`Visitor at ${terminalName}`) }).getByRole('button', { name: 'Answer' }).click();
  await terminal.locator('[data-step="answered"]').waitFor();
  const call = gw.gateway.services.calls.activeCalls[0]!;
  return { terminal, call, visitor: call.terminalId, ritaId: site.users.rita!.id };
}

/** `receptionAnswers`, then the visitor's page and Rita's each receive every producer of the other. */
export async function receptionInCall(cs: CallSite, rita: Page, terminalName: string) {
  const answered = await receptionAnswers(cs, rita, terminalName);
  const { terminal, call, visitor, ritaId } = answered;
  await Promise.all([flowsFrom(cs.gw, terminal, call.id, visitor, [ritaId]), flowsFrom(cs.gw, rita, call.id, ritaId, [visitor])]);
  return answered;
}

/**
 * Rita's and Anna's desk pages (`cs.desk`), and a visitor at `terminalName` whose call Rita answered: `receptionInCall`
 * (each receiving the other), or with `flowing: false` `receptionAnswers`; Anna's participant id besides.
 */
export async function receptionAndColleague(cs: CallSite, terminalName: string, { flowing = true } = {}) {
  const rita = await cs.desk('rita');
  const anna = await cs.desk('anna');
  const answered = await (flowing ? receptionInCall : receptionAnswers)(cs, rita, terminalName);
  return { rita, anna, ...answered, annaId: cs.site.users.anna!.id };
}

/**
 * The visitor's page receives from one other only, once the one who left is gone: its receivers (their consumers
 * closed, transceivers stopped) come down to two (polled, bounded), and they are audio and video.
 */
export async function receivesOneOther(terminal: Page): Promise<void> {
  await pollPage(terminal, async () => window.__captured!.peerConnections.filter((pc) => pc.signalingState !== 'closed')
    .flatMap((pc) => pc.getTransceivers()).filter((t) => t.mid !== 'probator' && (t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv')).length === 2, undefined)
    .catch(async (error: Error) => { throw new Error(`${error.message}: the visitor's page receives ${JSON.stringify(await receivingKinds(terminal))}`); });
  expect(await receivingKinds(terminal)).toEqual(['audio', 'video']);
}

/** Waits for a condition of the in-process gateway that has no event of its own (bounded). */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The seeded reception and Anna ring 120 s (the seeded 5 s would not outlast the waits of a loaded machine). */
export async function longRings(site: SiteFixture): Promise<void> {
  const entries = [
    { id: site.entries['Empfang'], kind: 'reception', name: 'Empfang', routes: [{ type: 'desk-group', roleId: 'reception' }] },
    { id: site.entries['Anna Müller'], kind: 'person', name: 'Anna Müller', department: 'Einkauf', routes: [{ type: 'desk-user', userId: site.users.anna!.id }] },
  ];
  for (const { id, ...entry } of entries) {
    const res = await site.admin.call('PUT', `/api/phonebook/${id}`, { ...entry, policy: { legTimeoutS: 120, capS: 600 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

/** What `participantId` may receive now: every other participant's producers (the gateway's view). */
export const producersFor = (gw: Gw, callId: string, participantId: string): ProducerInfo[] =>
  gw.gateway.services.calls.get(callId).media!.producersFor(participantId);

/**
 * The producers of participant `from` that `viewer` may consume, once there are as many as `kinds` names, checked to
 * be those kinds. A SIP leg reports its answer before mediasoup has its producer (sip-leg.ts #connected), so the page
 * showing "answered" does not mean the phone's audio is in the call yet: wait for it, never read it at once.
 */
export async function producersFrom(gw: Gw, callId: string, viewer: string, from: string, kinds: Array<'audio' | 'video'>): Promise<ProducerInfo[]> {
  const of = () => producersFor(gw, callId, viewer).filter((p) => p.participantId === from);
  await until(() => of().length >= kinds.length, `${viewer} may consume ${kinds.join(' and ')} of ${from}`);
  const present = of();
  expect(present.map((p) => p.kind).sort()).toEqual([...kinds].sort());
  return present;
}

/**
 * Waits until each of `from` has an audio and a video producer in the call, then
 * until `page` (participant `participantId`) decodes each video and plays out
 * each audio, and keeps doing so (see waitForEachProducer).
 */
export async function flowsFrom(gw: Gw, page: Page, callId: string, participantId: string, from: string[]): Promise<Record<string, ProducerInbound>> {
  const of = () => producersFor(gw, callId, participantId).filter((x) => from.includes(x.participantId));
  await until(() => of().length === 2 * from.length, `${participantId} may consume audio and video of ${from.join(', ')}`);
  const expected = of();
  expect(expected.map((p) => `${p.participantId} ${p.kind}`).sort()).toEqual(from.flatMap((p) => [`${p} audio`, `${p} video`]).sort());
  return waitForEachProducer(page, expected);
}
