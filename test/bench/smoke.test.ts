// Benchmarks are not tests: CI only runs each in its seconds-long smoke mode and
// checks that it prints the JSON it promises.
//
// The benches are separate processes that mostly wait (a gateway starting, a
// hub's child, a fixed settle, Chromium's first frames), so they run in three
// lanes side by side instead of one after another (127 s → about the longest
// lane): the Chromium benches one after the other (never two browsers of this
// file at once), the gateway/media ones, the MQTT ones. capacity, which counts
// lost UDP packets, runs alone before the lanes start, as it did before (so does
// g711-bridge, which counts the packets sipp echoes). Every
// test then checks its own bench's JSON; a failed bench fails only its test.
// A filtered run (-t) still runs every bench.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

type BenchResult = Record<string, any>;

/** Bounds a bench that hangs; the whole process group goes (a spawned gateway, Chromium), not just the bench. */
const BENCH_TIMEOUT_MS = 150_000;

/** Runs one bench in smoke mode; resolves with the JSON of its last stdout line. */
const runBench = (name: string) => new Promise<BenchResult>((resolve, reject) => {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bench', name), '--smoke'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } };
  const timer = setTimeout(killGroup, BENCH_TIMEOUT_MS);
  child.once('error', (error) => { clearTimeout(timer); reject(error); });
  child.once('close', (code, signal) => {
    clearTimeout(timer);
    killGroup(); // what the bench left behind, if anything
    if (code !== 0) { reject(new Error(`${name} exited with ${code ?? signal}:\n${stderr}\n${stdout}`)); return; }
    try { resolve(JSON.parse(stdout.trim().split('\n').pop()!) as BenchResult); } catch (e) { reject(new Error(`${name} printed no JSON last: ${stdout}\n${stderr}`, { cause: e })); }
  });
});

const ALONE = ['capacity.ts', 'g711-bridge.ts'];
const LANES = [
  ['first-frame.ts', 'terminal-soak.ts', 'touch-to-ring.ts'],
  ['gateway-idle.ts', 'call-setup.ts', 'phonebook-search.ts', 'store-audit.ts', 'srtp-cost.ts', 'sip-station-ring.ts'],
  ['device-latency.ts', 'mqtt-throughput.ts', 'mqtt-queue.ts', 'device-idle.ts', 'sip-post-dial.ts', 'sip-inbound-ring.ts', 'sip-dtmf-door.ts'],
];
const results = new Map<string, Promise<BenchResult>>();
/** A bench's result (started by beforeAll). */
const bench = (name: string): Promise<BenchResult> => {
  const result = results.get(name);
  if (!result) throw new Error(`bench ${name} is in no lane of this file`);
  return result;
};
/** Runs `names` one after another (the next starts even if one failed); records each one's promise. */
const lane = (names: string[], after: Promise<unknown> = Promise.resolve()): Promise<unknown> => {
  let previous = after;
  for (const name of names) {
    const result = previous.catch(() => undefined).then(() => runBench(name));
    result.catch(() => undefined); // reported by its own test, not as an unhandled rejection
    results.set(name, result);
    previous = result;
  }
  return previous.catch(() => undefined);
};
/** A test waits at most for capacity and its whole lane (each bench bounded by BENCH_TIMEOUT_MS). */
const WAIT_MS = 5 * BENCH_TIMEOUT_MS;

describe('benchmark smoke runs', () => {
  let finished: Promise<unknown>;
  beforeAll(() => {
    const alone = lane(ALONE);
    finished = Promise.all(LANES.map((names) => lane(names, alone)));
  }, WAIT_MS);
  // No bench process outlives the file.
  afterAll(() => finished, WAIT_MS);

  it('gateway-idle prints start time, memory and the ratio against bare mediasoup', async () => {
    const r = await bench('gateway-idle.ts');
    expect(r).toMatchObject({ bench: 'gateway-idle', smoke: true, runs: 1 });
    expect(r.portier_start_to_ready_ms.p50).toBeGreaterThan(0);
    expect(r.bare_mediasoup_worker_and_server_ms.p50).toBeGreaterThan(0);
    expect(r.start_ratio_vs_bare).toBeGreaterThan(0);
    expect(r.idle_rss_mib.node_process).toBeGreaterThan(10);
    expect(r.idle_rss_mib.worker).toBeGreaterThan(1);
  }, WAIT_MS);

  it('sip-station-ring prints door station button → desk ring and → 180 percentiles', async () => {
    const r = await bench('sip-station-ring.ts');
    expect(r).toMatchObject({ bench: 'sip-station-ring', smoke: true, calls: 5 });
    expect(r.button_to_desk_ring_ms.n).toBe(5);
    expect(r.button_to_desk_ring_ms.p99).toBeGreaterThanOrEqual(r.button_to_desk_ring_ms.p50);
    expect(r.button_to_180_ms.n).toBe(5);
  }, WAIT_MS);

  it('sip-post-dial prints call.start → INVITE → 180 → ringing percentiles through Kamailio', async () => {
    const r = await bench('sip-post-dial.ts');
    expect(r).toMatchObject({ bench: 'sip-post-dial', smoke: true });
    expect(r.post_dial_ms.n).toBe(r.calls);
    expect(r.start_to_invite_ms.n).toBe(r.calls);
    expect(r.ringing_180_to_terminal_ms.p99).toBeGreaterThanOrEqual(r.ringing_180_to_terminal_ms.p50);
  }, WAIT_MS);

  it('sip-inbound-ring prints a PBX\'s authenticated INVITE → desk ring and → 180 percentiles', async () => {
    const r = await bench('sip-inbound-ring.ts');
    expect(r).toMatchObject({ bench: 'sip-inbound-ring', smoke: true });
    expect(r.invite_to_desk_ring_ms.n).toBe(r.calls);
    expect(r.invite_to_180_ms.n).toBe(r.calls);
  }, WAIT_MS);

  // It stopped working unnoticed (no smoke run): the relay hears keys only from the audio source it latched, and the bench's phone sent no audio.
  it('sip-dtmf-door prints a telephone\'s RFC 4733 door code → unlock command at the door controller, every press', async () => {
    const r = await bench('sip-dtmf-door.ts');
    expect(r).toMatchObject({ bench: 'sip-dtmf-door', smoke: true, presses: 5 });
    expect(r.end_packet_to_unlock_ms.n).toBe(5);
    expect(r.end_packet_to_unlock_ms.p99).toBeGreaterThanOrEqual(r.end_packet_to_unlock_ms.p50);
  }, WAIT_MS);

  it('phonebook-search prints search latency percentiles at its entry count', async () => {
    const r = await bench('phonebook-search.ts');
    expect(r).toMatchObject({ bench: 'phonebook-search', smoke: true, entries: 1000 });
    expect(r.search_ms.p99).toBeGreaterThanOrEqual(r.search_ms.p50);
    expect(r.mean_hits).toBeGreaterThan(0);
  }, WAIT_MS);

  it('call-setup prints call.start → ring latency and memory per terminal and per call', async () => {
    const r = await bench('call-setup.ts');
    expect(r).toMatchObject({ bench: 'call-setup', smoke: true, calls: 10, idle_terminals: 5, active_calls: 2 });
    expect(r.call_start_to_ring_ms.n).toBe(10);
    expect(r.call_start_to_ring_ms.p50).toBeGreaterThan(0);
    expect(typeof r.rss_per_idle_terminal_kib).toBe('number');
    expect(r.gateway_rss_mib).toBeGreaterThan(10);
  }, WAIT_MS);

  it('device-latency prints card read → unlock received percentiles at its target rate', async () => {
    const r = await bench('device-latency.ts');
    expect(r).toMatchObject({ bench: 'device-latency', smoke: true, target_rate_per_s: 100, sent: 200 });
    expect(r.unlocks_received).toBe(200);
    expect(r.card_read_to_unlock_ms.p99).toBeGreaterThanOrEqual(r.card_read_to_unlock_ms.p50);
    expect(r.card_read_to_unlock_ms.p50).toBeGreaterThan(0);
    // The first second's parts, at 100 reads/s: 10, 25, 50 reads, then the other 50.
    expect([r.first_second_parts_ms.first_100_ms.n, r.first_second_parts_ms.first_250_ms.n, r.first_second_parts_ms.first_500_ms.n, r.first_second_parts_ms.from_500_to_1000_ms.n]).toEqual([10, 25, 50, 50]);
    expect(Array.isArray(r.hub.gc.long)).toBe(true);
  }, WAIT_MS);

  it('mqtt-throughput (lean wire client) prints QoS 0/1 rates, broker and client CPU per message of Portier (both persistences), bare aedes and mosquitto, with the issue\'s ratios', async () => {
    const r = await bench('mqtt-throughput.ts');
    expect(r).toMatchObject({ bench: 'mqtt-throughput', client: 'wire', smoke: true });
    for (const scenario of ['qos0', 'qos1', 'qos1_persistent_session']) {
      const s = r[scenario];
      for (const broker of ['portier_memory', 'portier_sqlite', 'aedes', 'mosquitto', 'mosquitto_persistent']) {
        expect(s.received[broker], `${scenario} ${broker}`).toBe(s.expected);
        expect(s.msgs_per_s[broker]).toBeGreaterThan(0);
        // CPU time comes in 10 ms ticks: a smoke run may see none; the full run reports it.
        expect(s.cpu_us_per_msg[broker]).toBeGreaterThanOrEqual(0);
        expect(s.client_cpu_us_per_msg[broker]).toBeGreaterThanOrEqual(0);
        expect(s.client_busy[broker]).toBeGreaterThanOrEqual(0);
        expect(s.client_busy[broker]).toBeLessThanOrEqual(1);
      }
      expect(s.ratio_portier_memory_to_mosquitto).toBeGreaterThan(0);
      expect(s.ratio_portier_sqlite_to_mosquitto_persistent).toBeGreaterThan(0);
      expect(s.sqlite_cost_ratio_sqlite_to_memory).toBeGreaterThan(0);
      expect(s).toHaveProperty('cpu_ratio_portier_memory_to_aedes');
    }
    expect(Object.keys(r.targets)).toEqual(['qos0_cpu_per_msg_portier_to_aedes', 'qos1_cpu_per_msg_portier_to_aedes', 'qos1_msgs_per_s_portier_to_mosquitto', 'qos0_msgs_per_s_portier_to_mosquitto']);
    expect(r.targets.qos1_msgs_per_s_portier_to_mosquitto).toMatchObject({ target: '>= 1', met: expect.any(Boolean), client_bound: expect.any(Array) });
  }, WAIT_MS);

  it('mqtt-queue delivers every message through bare aedes (default and ring queue) and Portier, with CPU per message and ratios', async () => {
    const r = await bench('mqtt-queue.ts');
    expect(r).toMatchObject({ bench: 'mqtt-queue', smoke: true });
    for (const scenario of ['qos0', 'qos1']) {
      const s = r[scenario];
      for (const broker of ['aedes_default', 'aedes_ring_queue', 'portier_memory']) {
        expect(s[broker].received, `${scenario} ${broker}`).toBe(s[broker].expected);
        // CPU time comes in 10 ms ticks: a smoke run may see none; the full run reports it.
        expect(s[broker].cpu_us_per_msg).toBeGreaterThanOrEqual(0);
      }
    }
  }, WAIT_MS);

  // Whether a step loses packets depends on how busy the machine is (at load ~18 the smoke step lost
  // 4–53 % through Portier in 3 of 6 runs, 0 in the others): the figure belongs to the bench's run,
  // the test checks that both paths forward every stream and that the figures are reported.
  it('capacity forwards every stream of its smoke step through Portier and bare mediasoup and reports loss and the ratio', async () => {
    const r = await bench('capacity.ts');
    expect(r).toMatchObject({ bench: 'capacity', smoke: true });
    for (const path of ['portier', 'bare'] as const) {
      const step = r.steps[0][path];
      expect(step, path).toMatchObject({ calls: 2, streams: 8, sent: 640 });
      expect(step.received, path).toBeGreaterThan(0);
      expect(step.received, path).toBeLessThanOrEqual(step.sent);
      expect(step.lossPct, path).toBeGreaterThanOrEqual((100 * (step.sent - step.received)) / step.sent - 0.001); // gaps may count more
    }
    expect([0, 2]).toContain(r.max_calls_without_loss.portier);
    expect([0, 2]).toContain(r.max_calls_without_loss.bare_mediasoup);
    // The ratio needs a bare step without loss (review s25 #1: bare mediasoup loses under load too, and then it is null).
    if (r.max_calls_without_loss.bare_mediasoup === 0) expect(r.ratio_vs_bare).toBeNull();
    else expect(r.ratio_vs_bare).toEqual(expect.any(Number));
  }, WAIT_MS);

  it('touch-to-ring measures a visitor\'s touch → the desk ringing and the kiosk saying so, for a host\'s card and the reception button', async () => {
    const r = await bench('touch-to-ring.ts');
    expect(r).toMatchObject({ bench: 'touch-to-ring', smoke: true, calls: 2 });
    for (const way of ['host_card', 'reception_button']) {
      expect(r.touch_to_desk_ring_ms[way].n, way).toBe(2);
      expect(r.touch_to_desk_ring_ms[way].p50, way).toBeGreaterThan(0);
      expect(r.touch_to_kiosk_ringing_ms[way].n, way).toBe(2);
    }
  }, WAIT_MS);

  it('first-frame measures answer → first decoded frame on both sides in Chromium, and bare mediasoup in the same run', async () => {
    const r = await bench('first-frame.ts');
    expect(r).toMatchObject({ bench: 'first-frame', smoke: true, calls: 1 });
    expect(r.answer_to_first_frame_at_desk_ms.p50).toBeGreaterThan(0);
    expect(r.answer_to_first_frame_at_terminal_ms.p50).toBeGreaterThan(0);
    expect(r.bare_mediasoup_consume_to_first_frame_ms.p50).toBeGreaterThan(0);
    expect(r.p50_ratio_vs_bare.desk).toBeGreaterThan(0);
  }, WAIT_MS);

  it('terminal-soak reads the terminal page heap and DOM counters through the DevTools protocol', async () => {
    const r = await bench('terminal-soak.ts');
    expect(r).toMatchObject({ bench: 'terminal-soak', smoke: true, calls: 2, gateway_routers_left: 0 });
    expect(r.terminal_heap_kib.end).toBeGreaterThan(0);
    expect(typeof r.heap_growth_kib_per_call).toBe('number');
  }, WAIT_MS);

  it('device-idle prints hub memory per connected device', async () => {
    const r = await bench('device-idle.ts');
    expect(r).toMatchObject({ bench: 'device-idle', smoke: true, devices: 200, connected: 200 });
    expect(r.hub_rss_mib.connected).toBeGreaterThan(10);
    expect(typeof r.rss_per_device_kib).toBe('number');
  }, WAIT_MS);

  it('store-audit prints append latency percentiles and throughput', async () => {
    const r = await bench('store-audit.ts');
    expect(r).toMatchObject({ bench: 'store-audit', smoke: true, appends: 200 });
    expect(r.audit_append_ms.p99).toBeGreaterThanOrEqual(r.audit_append_ms.p50);
    expect(r.audit_appends_per_s).toBeGreaterThan(0);
    expect(r.credential_verify_ms.n).toBe(200);
  }, WAIT_MS);

  it('srtp-cost prints the SRTP transform\'s cost per packet and the relay\'s CPU per packet, plain and with SRTP', async () => {
    const r = await bench('srtp-cost.ts');
    expect(r).toMatchObject({ bench: 'srtp-cost', smoke: true, transform_packets: 2000, relay_packets_each_way: 400 });
    for (const suite of [r.aes_cm_128_hmac_sha1_80, r.aes_cm_128_hmac_sha1_32]) {
      expect(suite.protect_ns_per_packet).toBeGreaterThan(0);
      expect(suite.unprotect_ns_per_packet).toBeGreaterThan(0);
    }
    // Every packet went through the relay both ways, in both modes.
    expect(r.relay_plain.relayed).toBe(800);
    expect(r.relay_srtp.relayed).toBe(800);
    expect(typeof r.relay_srtp_added_us_per_packet).toBe('number');
  }, WAIT_MS);

  it('g711-bridge prints bridged calls through one worker and sipp\'s echo (every packet back), and the mix\'s CPU per frame', async () => {
    const r = await bench('g711-bridge.ts');
    expect(r).toMatchObject({ bench: 'g711-bridge', smoke: true, mix: { frames: 500, sources: 2 } });
    // Each packet of the first step crossed the worker and the relay both ways and came back.
    expect(r.steps[0]).toMatchObject({ calls: 2, sent: 200 });
    expect(r.steps[0].received).toBe(r.steps[0].sent);
    expect(r.mix.cpuUsPerFrame).toBeGreaterThan(0);
  }, WAIT_MS);
});
