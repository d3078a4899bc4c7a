// The desk softphone in Chromium (issue 12): a receptionist answers in one move —
// the ring says who calls for whom (terminal and site, the entry the visitor
// chose, why this desk rings: the host, or the reception after the host did not
// answer), shows the visitor's video before the answer where the site allows a
// preview, F8 answers and F9 hangs up (both shown on screen), and the history
// lists the call with its terminal, entry, duration and outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCallSite, type CallSite } from '../support/call-flow.ts';
import { ApiClient } from '../support/gateway.ts';
import { CONNECT_MS, DESK_PASSWORD, deskConnected, deskPage, englishPage, pairedTerminalPage, waitForInbound } from '../support/pages.ts';
import { pauseClock } from '../support/screenshots.ts';

describe('the desk softphone answers in one move', () => {
  let cs: CallSite;

  // hq lets a ringing desk see the visitor (calls.ringing_preview_sites).
  // A gateway, a seeded site and Chromium: more than the 60 s default on a loaded machine (as in screenshots, call-layout).
  beforeAll(async () => { cs = await openCallSite({ PORTIER_CALLS__RINGING_PREVIEW_SITES: '[hq]' }); }, 180_000);
  afterAll(async () => { await cs?.close(); });

  it('the ring names terminal, site and the chosen entry, previews the visitor; F8 answers, F9 hangs up, the history lists the call', async () => {
    const anna = await cs.desk('anna');
    await anna.getByText('Keyboard: F8 answers, F9 hangs up or declines.').waitFor();
    await anna.locator('#presence[data-state="available"]').waitFor();
    const terminal = await cs.open(pairedTerminalPage(cs.chromium.browser, cs.url, cs.site, 'Lobby West'));
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();

    const ring = anna.getByRole('alertdialog', { name: 'Visitor at Lobby West (Headquarters)' });
    await ring.waitFor();
    expect(await ring.getByTestId('ring-entry').textContent()).toBe('for Anna Müller (Einkauf)');
    expect(await ring.getByTestId('ring-via').textContent()).toBe('The visitor would like to see you.');
    // Anna's own route first, the reception after it.
    await ring.getByText('Step 1 of 2').waitFor();
    // The visitor's video plays in the ring card before anyone answered (frames decoded: it has a size).
    await ring.locator('video.preview').waitFor();
    await anna.waitForFunction(() => (document.querySelector<HTMLVideoElement>('section.ring video.preview')?.videoWidth ?? 0) > 0, undefined, { timeout: 30_000 });
    expect(cs.gw.gateway.services.calls.activeCalls[0]!.answered).toBe(false);

    // One key answers, wherever the focus is.
    await anna.keyboard.press('F8');
    await anna.locator('section.call').waitFor();
    await terminal.locator('[data-step="answered"]').waitFor();
    await anna.getByRole('heading', { name: /In a call with Lobby West/ }).getByText('for Anna Müller (Einkauf)').waitFor();
    await anna.locator('#presence[data-state="busy"]').waitFor();
    await waitForInbound(anna, (s) => s.framesDecoded >= 5);
    const callId = await anna.locator('section.call').getAttribute('data-call');

    await anna.keyboard.press('F9');
    await anna.locator('section.call').waitFor({ state: 'detached' });
    await terminal.locator('section.ended[data-outcome="answered"]').waitFor();
    const row = anna.locator(`.history tr[data-call="${callId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-outcome')).toBe('answered');
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(1, 3)).toEqual(['Lobby West', 'Anna Müller']);
    expect(cells[3]).toMatch(/^\d+:\d\d$/);
    expect(cells[4]).toBe('answered by you');
    await cs.closePages();
  });

  it("the reception's ring says the host did not answer; F9 declines; nobody else's calls appear in the history", async () => {
    const anna = await cs.desk('anna');
    const rita = await cs.desk('rita');
    await rita.getByText('No calls yet.').waitFor();
    const terminal = await cs.open(pairedTerminalPage(cs.chromium.browser, cs.url, cs.site, 'Lobby Ost'));
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    // Anna declines with F9: the reception rings as the entry's second step.
    await anna.getByRole('alertdialog', { name: 'Visitor at Lobby Ost (Headquarters)' }).waitFor();
    await anna.keyboard.press('F9');

    const ring = rita.getByRole('alertdialog', { name: 'Visitor at Lobby Ost (Headquarters)' });
    await ring.waitFor();
    expect(await ring.getAttribute('data-via')).toBe('reception');
    expect(await ring.getByTestId('ring-entry').textContent()).toBe('for Anna Müller (Einkauf)');
    expect(await ring.getByTestId('ring-via').textContent()).toBe('Anna Müller did not answer – now the reception.');
    await ring.getByText('Step 2 of 2').waitFor();

    await rita.keyboard.press('F9');
    await ring.waitFor({ state: 'detached' });
    await terminal.locator('section.ended').waitFor();
    // Anna was rung by name: the missed call is in her history; Rita was rung as one of the reception: it is not hers,
    // and neither is Anna's earlier call.
    await anna.locator('.history tr[data-outcome="missed"]').waitFor();
    expect(await anna.locator('.history tr[data-outcome="missed"] td').nth(4).textContent()).toBe('missed');
    expect(await rita.locator('.history tr[data-call]').count()).toBe(0);
    await rita.getByText('No calls yet.').waitFor();
    await cs.closePages();
  });

  it('a notice banner clears itself after ten seconds, or at once with its dismiss button', async () => {
    // The desk's clock is the test's (paused below): the banner's ten seconds pass when the test says so.
    const anna = await cs.open(englishPage(cs.chromium.browser));
    await anna.clock.install();
    await anna.goto(`${cs.url}/desk`);
    await anna.getByLabel('User name').fill('anna');
    await anna.getByLabel('Password').fill(DESK_PASSWORD);
    await anna.getByRole('button', { name: 'Sign in' }).click();
    await deskConnected(anna);
    const notify = (en: string) => cs.gw.gateway.services.signaling.notifyDesks({ userId: cs.site.users.anna!.id }, { de: en, en });
    const notice = anna.getByTestId('notice');
    // Time stands still until the test moves it, however loaded the machine.
    await pauseClock(anna);

    notify('A parcel is waiting at the reception.');
    await notice.filter({ hasText: 'A parcel is waiting at the reception.' }).waitFor();
    await anna.clock.runFor(9_000);
    expect(await notice.count()).toBe(1);
    await anna.clock.runFor(1_500);
    await notice.waitFor({ state: 'detached' });

    notify('The lift is out of order.');
    await notice.filter({ hasText: 'The lift is out of order.' }).waitFor();
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await notice.waitFor({ state: 'detached' });
    await cs.closePages();
  });

  // The gateway ends the socket of a session that ended ('io server disconnect'): socket.io-client does not
  // reconnect after that, so the page must ask whether it is still signed in (review s27 #4).
  it('a desk whose session is ended elsewhere (a logout) shows the sign-in instead of "reconnecting" for good', async () => {
    // A session of its own (not the one cs.desk shares with the other tests).
    const anna = await cs.open(deskPage(cs.chromium.browser, cs.url, 'anna'));
    const session = (await anna.context().cookies()).find((c) => c.name === 'portier_session')!;
    const elsewhere = new ApiClient(cs.gw.base);
    elsewhere.cookie = `${session.name}=${session.value}`;
    expect((await elsewhere.post('/api/auth/logout')).status).toBe(200);
    await anna.getByRole('heading', { name: /^(Sign in|Anmelden)$/ }).waitFor({ timeout: CONNECT_MS });
    await anna.getByLabel(/^(User name|Benutzername)$/).waitFor();
    expect(await anna.getByText(/^(No connection – reconnecting …|Keine Verbindung – wird wiederhergestellt …)$/).count()).toBe(0);
    await cs.closePages();
  });
});
