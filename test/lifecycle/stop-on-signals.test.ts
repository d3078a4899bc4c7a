// The gateway's SIGTERM/SIGINT handling (src/lifecycle/stop-on-signals.ts), with an emitter for the
// process and a recorded exit: a second signal exits at once, a failed drain or close exits 1 at once.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { REPEAT_MS, stopOnSignals } from '../../src/lifecycle/stop-on-signals.ts';

type Line = { level: string; fields: Record<string, unknown>; msg: string };

function harness(gateway: { drain(ms: number): Promise<unknown>; close(): Promise<unknown> }, started: Promise<unknown>) {
  const lines: Line[] = [];
  const log = (level: string) => (a: unknown, b?: string) =>
    lines.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a as Record<string, unknown>, msg: b ?? '' });
  const logger = { info: log('info'), warn: log('warn'), error: log('error') } as never;
  const signals = new EventEmitter();
  const codes: number[] = [];
  let exited!: (code: number) => void;
  const exit = new Promise<number>((resolve) => { exited = resolve; });
  const clock = { ms: 0 };
  const stopping = stopOnSignals({ gateway, started, drainMs: 1000, logger, signals, exit: (code) => { codes.push(code); exited(code); }, now: () => clock.ms });
  return { lines, signals, codes, exit, stopping, clock };
}

const never = new Promise<void>(() => {});
const idle = { drain: async () => {}, close: async () => {} };

describe('stopOnSignals', () => {
  it('a first signal drains and closes once started, then exits 0', async () => {
    const h = harness(idle, Promise.resolve());
    h.signals.emit('SIGTERM');
    expect(await h.exit).toBe(0);
    expect(h.stopping()).toBe(true);
    expect(h.lines.map((l) => l.msg)).toEqual(['gateway: stopping', 'gateway: stopped']);
  });

  it.each(['SIGINT', 'SIGTERM'])('a second signal (%s) during a start that hangs exits 1 at once, with one line, without drain or close', async (second) => {
    let drained = false;
    const h = harness({ drain: async () => { drained = true; }, close: async () => {} }, never);
    h.signals.emit('SIGINT');
    expect(h.codes).toEqual([]);
    h.clock.ms = REPEAT_MS;
    h.signals.emit(second);
    expect(h.codes).toEqual([1]);
    expect(drained).toBe(false);
    expect(h.lines.map((l) => [l.level, l.msg, l.fields.signal])).toEqual([
      ['info', 'gateway: stopping', 'SIGINT'],
      ['warn', 'gateway: second signal, exiting now without drain or close / zweites Signal, sofortiges Ende ohne Drain und Schließen', second],
    ]);
  });

  it('copies of the first signal (a terminal\'s Ctrl-C to the whole group, forwarded again by npm and start.mjs) do not cut the stop short', async () => {
    const h = harness(idle, Promise.resolve());
    h.signals.emit('SIGINT');
    h.clock.ms = REPEAT_MS - 1;
    h.signals.emit('SIGINT');
    h.signals.emit('SIGTERM');
    expect(await h.exit).toBe(0);
    expect(h.codes).toEqual([0]);
    expect(h.lines.map((l) => l.msg).filter((m) => m.startsWith('gateway: s'))).toEqual(['gateway: stopping', 'gateway: stopped']);
  });

  it.each([
    ['drain', { drain: async () => { throw new Error('drain broke'); }, close: async () => {} }, 'drain broke'],
    ['close', { drain: async () => {}, close: async () => { throw new Error('close broke'); } }, 'close broke'],
  ] as const)('a %s that rejects is logged as "gateway: stop failed" with its error and exits 1 at once', async (_what, gateway, message) => {
    const h = harness(gateway, Promise.resolve());
    h.signals.emit('SIGTERM');
    expect(await h.exit).toBe(1);
    const failed = h.lines.find((l) => l.msg === 'gateway: stop failed');
    expect(failed?.level).toBe('error');
    expect((failed?.fields.err as Error).message).toBe(message);
    expect(h.lines.map((l) => l.msg)).not.toContain('gateway: stopped');
  });

  it('a start that fails leaves the exit to main.ts (exit 1 after its fatal line): no stop, no exit here', async () => {
    let fail!: (error: Error) => void;
    const started = new Promise<void>((_resolve, reject) => { fail = reject; });
    started.catch(() => {});
    let drained = false;
    const h = harness({ drain: async () => { drained = true; }, close: async () => {} }, started);
    h.signals.emit('SIGTERM');
    fail(new Error('port taken'));
    await started.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    expect(h.codes).toEqual([]);
  });
});
