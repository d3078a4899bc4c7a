// The call screens of the kiosk and the desk in portrait 1080×1920 and landscape
// 1280×800, in every state a call passes through (ringing, in call, door opening,
// open, failed): the hang-up button lies fully inside the viewport and nothing
// covers it (hit-tested at its centre and corners), the remote video fits the
// screen above the controls without scrolling, the own preview stays small. And
// the kiosk's states clear themselves: the ended screen never says the door
// "could not be opened – please wait" (the call is over; nobody is told any more).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openCallSite, type CallSite } from '../support/call-flow.ts';
import { doorController, type DoorController } from '../support/door-controller.ts';
import { deskPage, pairedTerminalPage } from '../support/pages.ts';
import { pauseClock } from '../support/screenshots.ts';

const SIZES = { portrait: { width: 1080, height: 1920 }, landscape: { width: 1280, height: 800 } } as const;

/** What is wrong with the page's call layout now (empty: nothing). */
async function layoutFaults(page: Page): Promise<string[]> {
  // Reading the boxes lays the page out at its new size (no frame to wait for: the terminal's clock may stand still).
  return page.evaluate(() => {
    const faults: string[] = [];
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const box = (el: Element) => el.getBoundingClientRect();
    const inside = (r: DOMRect) => r.top >= 0 && r.left >= 0 && r.bottom <= vh + 0.5 && r.right <= vw + 0.5;
    const show = (r: DOMRect) => `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)}`;
    window.scrollTo(0, 0);
    const hangup = document.querySelector('section.call [data-action="hangup"]');
    if (!hangup) return ['no hang-up button'];
    const h = box(hangup);
    if (!inside(h)) faults.push(`hang-up ${show(h)} not inside the viewport ${vw}×${vh}`);
    const inset = 3;
    const points: Array<[string, number, number]> = [
      ['centre', h.left + h.width / 2, h.top + h.height / 2],
      ['top left', h.left + inset, h.top + inset], ['top right', h.right - inset, h.top + inset],
      ['bottom left', h.left + inset, h.bottom - inset], ['bottom right', h.right - inset, h.bottom - inset],
    ];
    for (const [name, x, y] of points) {
      const hit = document.elementFromPoint(x, y);
      if (!hit || !hangup.contains(hit)) faults.push(`hang-up's ${name} is covered by ${hit ? `${hit.tagName.toLowerCase()}.${hit.className}` : 'nothing (outside)'}`);
    }
    const stage = document.querySelector('section.call .stage');
    const remote = document.querySelector('section.call video.remote');
    const local = document.querySelector('section.call video.local');
    if (!stage || !remote || !local) return [...faults, 'no stage, remote or local video'];
    const s = box(stage);
    if (!inside(s)) faults.push(`the video ${show(s)} reaches outside the viewport ${vw}×${vh}`);
    if (s.bottom > h.top + 0.5) faults.push(`the video ${show(s)} reaches below the hang-up's top ${Math.round(h.top)}`);
    const r = box(remote);
    const l = box(local);
    if (r.width * r.height < 0.2 * vw * vh) faults.push(`the remote video ${show(r)} is small (under a fifth of the screen)`);
    if (l.width * l.height > 0.1 * r.width * r.height) faults.push(`the own preview ${show(l)} is not small next to the remote ${show(r)}`);
    return faults;
  });
}

/** The faults of the page in both orientations (it is left in `end`). */
async function faultsInBothSizes(page: Page, state: string, end: keyof typeof SIZES = 'landscape'): Promise<string[]> {
  const found: string[] = [];
  for (const size of (['portrait', 'landscape'] as const).filter((s) => s !== end).concat(end)) {
    await page.setViewportSize(SIZES[size]);
    for (const fault of await layoutFaults(page)) found.push(`${state}, ${size}: ${fault}`);
  }
  return found;
}

describe('call screens: hang-up always reachable, honest states', () => {
  let s: CallSite;
  let door: DoorController;
  let desk: Page;
  let terminal: Page;

  beforeAll(async () => {
    // The test acknowledges door commands by hand: a window no loaded machine misses.
    s = await openCallSite({ PORTIER_DEVICE_HUB__COMMAND_ACK_SECONDS: '60' });
    door = await doorController(s.site, 'layout-door');
    desk = await s.open(deskPage(s.chromium.browser, s.url, 'anna', { viewport: SIZES.landscape }));
    terminal = await s.open(pairedTerminalPage(s.chromium.browser, s.url, s.site, 'Lobby East', { doorId: s.site.doorId, viewport: SIZES.landscape }));
    // The terminal's timers (door open shown 8 s, ended 6 s) wait while the test looks.
    await terminal.context().clock.install();
  }, 180_000);
  afterAll(async () => {
    await door?.close();
    await s?.close();
  });

  /** The visitor calls Anna, Anna answers; both pages show the call. */
  const answeredCall = async () => {
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    await terminal.locator('[data-step="ringing"]').waitFor();
    const ring = desk.getByRole('alertdialog');
    await ring.waitFor();
    const ringing = await faultsInBothSizes(terminal, 'terminal ringing');
    await ring.getByRole('button', { name: 'Answer' }).click();
    await terminal.locator('[data-step="answered"]').waitFor();
    await desk.getByRole('button', { name: 'Open door' }).waitFor();
    return ringing;
  };

  it('the hang-up button lies fully in view and uncovered, the video above it, in every call state and both orientations', async () => {
    const faults = await answeredCall();
    faults.push(...await faultsInBothSizes(terminal, 'terminal in call'), ...await faultsInBothSizes(desk, 'desk in call'));

    await desk.getByRole('button', { name: 'Open door' }).click();
    const opened = await door.nextCommand();
    await terminal.locator('[data-door="opening"]').waitFor();
    faults.push(...await faultsInBothSizes(terminal, 'terminal door opening'), ...await faultsInBothSizes(desk, 'desk door opening'));
    await pauseClock(terminal);
    await door.acknowledge(opened.id);
    await terminal.locator('[data-door="open"]').waitFor();
    await desk.getByRole('status').filter({ hasText: 'Door opened' }).waitFor();
    faults.push(...await faultsInBothSizes(terminal, 'terminal door open'), ...await faultsInBothSizes(desk, 'desk door open'));
    await terminal.clock.resume();

    await desk.getByRole('button', { name: 'Open door' }).click();
    const refused = await door.nextCommand();
    await door.acknowledge(refused.id, 'refused');
    await terminal.locator('[data-door="failed"]').waitFor();
    await desk.getByRole('alert').filter({ hasText: 'could not be opened' }).waitFor();
    faults.push(...await faultsInBothSizes(terminal, 'terminal door failed'), ...await faultsInBothSizes(desk, 'desk door failed'));
    expect(faults).toEqual([]);

    await desk.getByRole('button', { name: 'Hang up' }).click();
    await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();
  }, 180_000);

  it('the ended screen does not keep "the door could not be opened", nor shows a refusal that comes after the end', async () => {
    await answeredCall();
    // A refusal during the call: shown while the call lasts.
    await desk.getByRole('button', { name: 'Open door' }).click();
    await door.acknowledge((await door.nextCommand()).id, 'refused');
    await terminal.locator('[data-door="failed"]').waitFor();
    await pauseClock(terminal);
    await desk.getByRole('button', { name: 'Hang up' }).click();
    await terminal.locator('[data-outcome="answered"]').waitFor();
    expect(await terminal.locator('[data-door]').count()).toBe(0);
    await expect.poll(() => terminal.getByText('could not be opened').count()).toBe(0);
    await terminal.clock.resume();
    await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();

    // A command still on its way when the call ends, refused after the end: the ended screen stays quiet.
    await answeredCall();
    await desk.getByRole('button', { name: 'Open door' }).click();
    const late = await door.nextCommand();
    await terminal.locator('[data-door="opening"]').waitFor();
    await pauseClock(terminal);
    await desk.getByRole('button', { name: 'Hang up' }).click();
    await terminal.locator('[data-outcome="answered"]').waitFor();
    await door.acknowledge(late.id, 'refused');
    // The desk hears the late refusal (its notice): the outcome has reached the gateway's pages.
    await desk.getByTestId('notice').filter({ hasText: 'could not be opened' }).waitFor();
    // And the terminal has handled its own copy (it comes on another socket): only then can its absence be asserted.
    await terminal.locator('[data-outcome="answered"][data-door-seen$=":failed"]').waitFor();
    expect(await terminal.locator('[data-door="failed"]').count()).toBe(0);
    expect(await terminal.getByText('could not be opened').count()).toBe(0);
    await terminal.clock.resume();
    await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();
  }, 180_000);
});
