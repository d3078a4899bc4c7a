// Prometheus metrics of calls and call quality, rendered in the text exposition
// format (no client library): running calls by state, ended calls by outcome, and
// histograms of the legs' MOS, loss and jitter per interval.
import type { CallService, CallStep } from '../calls/index.ts';
import type { QualityMonitor } from './quality-monitor.ts';
import type { LegSample } from './leg-sample.ts';

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  readonly buckets: readonly number[];
  constructor(buckets: readonly number[]) {
    this.buckets = buckets;
    this.counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    this.buckets.forEach((b, i) => { if (v <= b) this.counts[i]! += 1; });
    this.sum += v;
    this.count += 1;
  }

  lines(name: string): string[] {
    return [
      ...this.buckets.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`,
    ];
  }
}

const RUNNING_STATES = ['ringing', 'queued', 'answered'] as const;
const OUTCOMES = ['answered', 'missed', 'cancelled', 'failed'] as const;

export class QualityMetrics {
  readonly #calls: CallService;
  readonly #quality: QualityMonitor;
  readonly #mos = new Histogram([1.5, 2, 2.5, 3, 3.1, 3.6, 4, 4.3, 4.5]);
  readonly #loss = new Histogram([0, 0.5, 1, 2, 5, 10, 20, 50, 100]);
  readonly #jitter = new Histogram([5, 10, 20, 30, 50, 100, 200, 500]);
  readonly #ended = new Map<string, number>(OUTCOMES.map((o) => [o, 0]));
  #low = 0;

  readonly #onSample = (s: LegSample) => {
    if (s.mos === null) return;
    this.#mos.observe(s.mos);
    this.#loss.observe(s.lossPercent);
    this.#jitter.observe(s.jitterMs);
  };
  readonly #onLow = () => { this.#low += 1; };
  readonly #onEnded = (call: { step: CallStep }) => {
    if (call.step.step === 'ended') this.#ended.set(call.step.outcome, (this.#ended.get(call.step.outcome) ?? 0) + 1);
  };

  constructor(deps: { calls: CallService; quality: QualityMonitor }) {
    this.#calls = deps.calls;
    this.#quality = deps.quality;
    this.#quality.on('sample', this.#onSample);
    this.#quality.on('low-quality', this.#onLow);
    this.#calls.on('ended', this.#onEnded);
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): string {
    const running = new Map<string, number>(RUNNING_STATES.map((s) => [s, 0]));
    for (const call of this.#calls.activeCalls) {
      if (call.step.step !== 'ended') running.set(call.step.step, (running.get(call.step.step) ?? 0) + 1);
    }
    return [
      '# HELP portier_calls Running calls by state.',
      '# TYPE portier_calls gauge',
      ...[...running].map(([state, n]) => `portier_calls{state="${state}"} ${n}`),
      '# HELP portier_calls_ended_total Calls ended since the gateway started, by outcome.',
      '# TYPE portier_calls_ended_total counter',
      ...[...this.#ended].map(([outcome, n]) => `portier_calls_ended_total{outcome="${outcome}"} ${n}`),
      '# HELP portier_call_leg_mos MOS of a call leg per interval (ITU-T G.107 E-model).',
      '# TYPE portier_call_leg_mos histogram',
      ...this.#mos.lines('portier_call_leg_mos'),
      '# HELP portier_call_leg_loss_percent Audio packet loss of a call leg per interval, in percent.',
      '# TYPE portier_call_leg_loss_percent histogram',
      ...this.#loss.lines('portier_call_leg_loss_percent'),
      '# HELP portier_call_leg_jitter_ms Audio jitter of a call leg per interval, in milliseconds.',
      '# TYPE portier_call_leg_jitter_ms histogram',
      ...this.#jitter.lines('portier_call_leg_jitter_ms'),
      '# HELP portier_call_low_quality_total Legs reported below the MOS threshold for the configured number of intervals.',
      '# TYPE portier_call_low_quality_total counter',
      `portier_call_low_quality_total ${this.#low}`,
      '',
    ].join('\n');
  }

  close(): void {
    this.#quality.off('sample', this.#onSample);
    this.#quality.off('low-quality', this.#onLow);
    this.#calls.off('ended', this.#onEnded);
  }
}
