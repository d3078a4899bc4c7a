// Prometheus metrics of the service level, appended to /metrics: whether the
// synthetic probe says the service is up, probe results, and each component's
// readiness at the last health sample. It listens to the probe and the sampler
// and owns neither.
import { promLabel as label } from '../core/index.ts';
import { isReady } from '../lifecycle/index.ts';
import type { HealthSampler, HealthSnapshot } from './health-sampler.ts';
import type { SyntheticProbe } from './synthetic-probe.ts';
import type { ProbeResult } from './sla-records.ts';

export class SlaMetrics {
  readonly #probe: SyntheticProbe;
  readonly #sampler: HealthSampler;
  readonly #probes = { ok: 0, failed: 0 };
  #received = 0;
  #last: HealthSnapshot | null = null;

  readonly #onProbe = (r: ProbeResult) => {
    this.#probes[r.ok ? 'ok' : 'failed'] += 1;
    this.#received += r.received;
  };
  readonly #onSample = (s: HealthSnapshot) => { this.#last = s; };

  constructor(deps: { probe: SyntheticProbe; sampler: HealthSampler }) {
    this.#probe = deps.probe;
    this.#sampler = deps.sampler;
    this.#probe.on('probe', this.#onProbe);
    this.#sampler.on('sample', this.#onSample);
  }

  render(): string {
    const components = Object.entries(this.#last?.states ?? {});
    return [
      '# HELP portier_probe_up 1 unless the configured number of synthetic probes in a row failed (the service is down).',
      '# TYPE portier_probe_up gauge',
      `portier_probe_up ${this.#probe.down ? 0 : 1}`,
      '# HELP portier_probes_total Synthetic probes since the gateway started, by result.',
      '# TYPE portier_probes_total counter',
      `portier_probes_total{result="ok"} ${this.#probes.ok}`,
      `portier_probes_total{result="failed"} ${this.#probes.failed}`,
      '# HELP portier_probe_packets_received_total RTP packets the synthetic probes got back out of a worker.',
      '# TYPE portier_probe_packets_received_total counter',
      `portier_probe_packets_received_total ${this.#received}`,
      '# HELP portier_component_ready 1 when the component was ready (or disabled) at the last health sample.',
      '# TYPE portier_component_ready gauge',
      ...components.map(([name, state]) => `portier_component_ready{component="${label(name)}",state="${label(state)}"} ${isReady({ state: state as never }) ? 1 : 0}`),
      '',
    ].join('\n');
  }

  close(): void {
    this.#probe.off('probe', this.#onProbe);
    this.#sampler.off('sample', this.#onSample);
  }
}
