// TypedEmitter: what on/once/off promise, whichever way the subclass emits.
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../src/core/typed-emitter.ts';

class Bell extends TypedEmitter<{ ring: [number] }> {
  ring(n: number): boolean { return this.safeEmit('ring', n); }
  override onListenerError(): void { /* the throwing listener's case is not this file's */ }
}

describe('TypedEmitter', () => {
  it('calls a once() listener for the first emit only, and an on() listener for each', () => {
    const bell = new Bell();
    const once: number[] = [];
    const each: number[] = [];
    bell.once('ring', (n) => once.push(n));
    bell.on('ring', (n) => each.push(n));
    bell.ring(1);
    bell.ring(2);
    bell.ring(3);
    expect(once).toEqual([1]);
    expect(each).toEqual([1, 2, 3]);
    expect(bell.listenerCount('ring')).toBe(1);
  });

  it('keeps emitting to the others when one listener throws, and a throwing once() listener is gone after it', () => {
    const bell = new Bell();
    const each: number[] = [];
    bell.once('ring', () => { throw new Error('boom'); });
    bell.on('ring', (n) => each.push(n));
    expect(bell.ring(1)).toBe(true);
    bell.ring(2);
    expect(each).toEqual([1, 2]);
    expect(bell.listenerCount('ring')).toBe(1);
  });

  it('emits to the listeners there were when the emit began, as Node\'s emit does (one removed meanwhile hears that emit, not the next)', () => {
    const bell = new Bell();
    const seen: string[] = [];
    const second = () => seen.push('second');
    bell.on('ring', () => { seen.push('first'); bell.off('ring', second); });
    bell.on('ring', second);
    bell.ring(1);
    bell.ring(2);
    expect(seen).toEqual(['first', 'second', 'first']);
  });
});
