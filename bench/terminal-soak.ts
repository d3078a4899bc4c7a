// Soak of the lobby terminal page: many calls in a row without reloading
// (answered at a desk, media decoded, hung up, back to the start screen), reading
// the terminal page's JS heap and DOM counters through the DevTools protocol
// after a forced garbage collection. Growth per call should stay near zero.
// Usage: node scripts/run.mjs node bench/terminal-soak.ts [--smoke]
import { startGateway } from '../test/support/gateway.ts';
import { seedSite } from '../test/support/signaling.ts';
import { launchChromium } from '../test/support/browser.ts';
import { pairedTerminalPage, deskPage, waitForInbound } from '../test/support/pages.ts';
import { smoke, print } from './lib.ts';

// Below the page's RELOAD_AFTER_CALLS (20), so the growth of one page lifetime is measured.
const CALLS = smoke ? 2 : Number(process.env.SOAK_CALLS ?? 19);
const WARMUP = smoke ? 1 : Math.min(5, Math.floor(CALLS / 3));

const gw = await startGateway();
const chromium = await launchChromium();
try {
  const site = await seedSite(gw);
  const url = gw.base.replace('127.0.0.1', 'localhost');
  const terminal = await pairedTerminalPage(chromium.browser, url, site, 'Soak lobby');
  const desk = await deskPage(chromium.browser, url, 'anna');
  const welcome = terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' });

  const cdp = await terminal.context().newCDPSession(terminal);
  const sample = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage') as { usedSize: number };
    const dom = await cdp.send('Memory.getDOMCounters') as { nodes: number; jsEventListeners: number };
    return { heapKiB: Math.round(heap.usedSize / 1024), nodes: dom.nodes, listeners: dom.jsEventListeners };
  };

  let warm: Awaited<ReturnType<typeof sample>> | undefined;
  const started = Date.now();
  for (let i = 0; i < CALLS; i++) {
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    await desk.getByRole('button', { name: 'Answer' }).click();
    // Read from the page's captured RTCPeerConnections (closed ones of earlier calls count nothing).
    await waitForInbound(terminal, (s) => s.framesDecoded > 0);
    await desk.getByRole('button', { name: 'Hang up' }).click();
    await welcome.waitFor({ timeout: 20_000 });
    if (i + 1 === WARMUP) warm = await sample();
  }
  const end = await sample();
  const measured = CALLS - WARMUP;
  print({
    bench: 'terminal-soak', calls: CALLS, warmup_calls: WARMUP, minutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
    terminal_heap_kib: { after_warmup: warm!.heapKiB, end: end.heapKiB },
    heap_growth_kib_per_call: measured > 0 ? Number(((end.heapKiB - warm!.heapKiB) / measured).toFixed(1)) : 0,
    dom_nodes: { after_warmup: warm!.nodes, end: end.nodes },
    js_event_listeners: { after_warmup: warm!.listeners, end: end.listeners },
    gateway_routers_left: gw.gateway.services.sfu.status().reduce((n, w) => n + w.routers, 0),
  });
} finally {
  await chromium.close();
  await gw.close();
}
