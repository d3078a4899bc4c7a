// Calls waiting at a site's reception because every receptionist is busy, first
// come first served; the terminal shows its position, reception desks the queue.
import type { Call } from './call.ts';

export class ReceptionQueue {
  readonly #bySite = new Map<string, Call[]>();
  readonly #everQueued = new WeakSet<Call>();
  readonly #onChange: (siteId: string, calls: Call[]) => void;

  constructor(onChange: (siteId: string, calls: Call[]) => void) {
    this.#onChange = onChange;
  }

  add(call: Call, front: boolean): void {
    const list = this.#bySite.get(call.siteId) ?? [];
    if (!list.includes(call)) (front ? list.unshift(call) : list.push(call));
    this.#bySite.set(call.siteId, list);
    this.#everQueued.add(call);
    this.notify(call.siteId);
  }

  has(call: Call): boolean { return this.#bySite.get(call.siteId)?.includes(call) ?? false; }
  wasQueued(call: Call): boolean { return this.#everQueued.has(call); }
  calls(siteId: string): Call[] { return [...(this.#bySite.get(siteId) ?? [])]; }
  position(call: Call): number { return (this.#bySite.get(call.siteId)?.indexOf(call) ?? -1) + 1; }

  remove(call: Call): void {
    const list = this.#bySite.get(call.siteId);
    if (!list) return;
    const i = list.indexOf(call);
    if (i >= 0) list.splice(i, 1);
  }

  /** Tells every queued call its position and the desks the queue. */
  notify(siteId: string): void {
    const list = this.#bySite.get(siteId) ?? [];
    list.forEach((call, i) => {
      if (call.step.step === 'queued' && call.step.position !== i + 1) call.setStep({ step: 'queued', position: i + 1 });
    });
    this.#onChange(siteId, [...list]);
  }
}
