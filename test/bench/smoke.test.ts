// Benchmarks are not tests: CI only runs each in its seconds-long smoke mode and
// checks that it prints the JSON it promises.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const bench = (name: string) => JSON.parse(execFileSync(process.execPath,
  [join(import.meta.dirname, '..', '..', 'bench', name), '--smoke'], { encoding: 'utf8', timeout: 90_000 }).trim().split('\n').pop()!);

describe('benchmark smoke runs', () => {
  it('gateway-idle prints start time, memory and the ratio against bare mediasoup', () => {
    const r = bench('gateway-idle.ts');
    expect(r).toMatchObject({ bench: 'gateway-idle', smoke: true, runs: 1 });
    expect(r.portier_start_to_ready_ms.p50).toBeGreaterThan(0);
    expect(r.bare_mediasoup_worker_and_server_ms.p50).toBeGreaterThan(0);
    expect(r.start_ratio_vs_bare).toBeGreaterThan(0);
    expect(r.idle_rss_mib.node_process).toBeGreaterThan(10);
    expect(r.idle_rss_mib.worker).toBeGreaterThan(1);
  });

  it('phonebook-search prints search latency percentiles at its entry count', () => {
    const r = bench('phonebook-search.ts');
    expect(r).toMatchObject({ bench: 'phonebook-search', smoke: true, entries: 1000 });
    expect(r.search_ms.p99).toBeGreaterThanOrEqual(r.search_ms.p50);
    expect(r.mean_hits).toBeGreaterThan(0);
  });

  it('call-setup prints call.start → ring latency and memory per terminal and per call', () => {
    const r = bench('call-setup.ts');
    expect(r).toMatchObject({ bench: 'call-setup', smoke: true, calls: 10, idle_terminals: 5, active_calls: 2 });
    expect(r.call_start_to_ring_ms.n).toBe(10);
    expect(r.call_start_to_ring_ms.p50).toBeGreaterThan(0);
    expect(typeof r.rss_per_idle_terminal_kib).toBe('number');
    expect(r.gateway_rss_mib).toBeGreaterThan(10);
  });

  it('device-latency prints card read → unlock received percentiles at its target rate', () => {
    const r = bench('device-latency.ts');
    expect(r).toMatchObject({ bench: 'device-latency', smoke: true, target_rate_per_s: 100, sent: 200 });
    expect(r.unlocks_received).toBe(200);
    expect(r.card_read_to_unlock_ms.p99).toBeGreaterThanOrEqual(r.card_read_to_unlock_ms.p50);
    expect(r.card_read_to_unlock_ms.p50).toBeGreaterThan(0);
  });

  it('mqtt-throughput prints QoS 0/1 rates of both persistences beside mosquitto as ratios', () => {
    const r = bench('mqtt-throughput.ts');
    expect(r).toMatchObject({ bench: 'mqtt-throughput', smoke: true });
    for (const scenario of ['qos0', 'qos1', 'qos1_persistent_session']) {
      const s = r[scenario];
      for (const broker of ['portier_memory', 'portier_sqlite', 'mosquitto', 'mosquitto_persistent']) {
        expect(s.received[broker], `${scenario} ${broker}`).toBe(s.expected);
        expect(s.msgs_per_s[broker]).toBeGreaterThan(0);
      }
      expect(s.ratio_portier_memory_to_mosquitto).toBeGreaterThan(0);
      expect(s.ratio_portier_sqlite_to_mosquitto_persistent).toBeGreaterThan(0);
      expect(s.sqlite_cost_ratio_sqlite_to_memory).toBeGreaterThan(0);
    }
  });

  it('mqtt-queue delivers every message through bare aedes (default and ring queue) and Portier, with CPU per message and ratios', () => {
    const r = bench('mqtt-queue.ts');
    expect(r).toMatchObject({ bench: 'mqtt-queue', smoke: true });
    for (const scenario of ['qos0', 'qos1']) {
      const s = r[scenario];
      for (const broker of ['aedes_default', 'aedes_ring_queue', 'portier_memory']) {
        expect(s[broker].received, `${scenario} ${broker}`).toBe(s[broker].expected);
        // CPU time comes in 10 ms ticks: a smoke run may see none; the full run reports it.
        expect(s[broker].cpu_us_per_msg).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('capacity forwards every packet of its smoke step through Portier and bare mediasoup and reports the ratio', () => {
    const r = bench('capacity.ts');
    expect(r).toMatchObject({ bench: 'capacity', smoke: true, max_calls_without_loss: { portier: 2, bare_mediasoup: 2 }, ratio_vs_bare: 1 });
    expect(r.steps[0].portier).toMatchObject({ streams: 8, lossPct: 0 });
    expect(r.steps[0].portier.received).toBe(r.steps[0].portier.sent);
  });

  it('first-frame measures answer → first decoded frame on both sides in Chromium, and bare mediasoup in the same run', () => {
    const r = bench('first-frame.ts');
    expect(r).toMatchObject({ bench: 'first-frame', smoke: true, calls: 1 });
    expect(r.answer_to_first_frame_at_desk_ms.p50).toBeGreaterThan(0);
    expect(r.answer_to_first_frame_at_terminal_ms.p50).toBeGreaterThan(0);
    expect(r.bare_mediasoup_consume_to_first_frame_ms.p50).toBeGreaterThan(0);
    expect(r.p50_ratio_vs_bare.desk).toBeGreaterThan(0);
  });

  it('terminal-soak reads the terminal page heap and DOM counters through the DevTools protocol', () => {
    const r = bench('terminal-soak.ts');
    expect(r).toMatchObject({ bench: 'terminal-soak', smoke: true, calls: 2, gateway_routers_left: 0 });
    expect(r.terminal_heap_kib.end).toBeGreaterThan(0);
    expect(typeof r.heap_growth_kib_per_call).toBe('number');
  });

  it('device-idle prints hub memory per connected device', () => {
    const r = bench('device-idle.ts');
    expect(r).toMatchObject({ bench: 'device-idle', smoke: true, devices: 200, connected: 200 });
    expect(r.hub_rss_mib.connected).toBeGreaterThan(10);
    expect(typeof r.rss_per_device_kib).toBe('number');
  });

  it('store-audit prints append latency percentiles and throughput', () => {
    const r = bench('store-audit.ts');
    expect(r).toMatchObject({ bench: 'store-audit', smoke: true, appends: 200 });
    expect(r.audit_append_ms.p99).toBeGreaterThanOrEqual(r.audit_append_ms.p50);
    expect(r.audit_appends_per_s).toBeGreaterThan(0);
    expect(r.credential_verify_ms.n).toBe(200);
  });
});
