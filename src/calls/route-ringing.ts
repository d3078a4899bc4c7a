// A call's way through its routes: the next route rings its free desks (or its
// telephone leg); a busy reception queues the call; a leg nobody answers moves
// on — or back to the front of the queue, or back to the visitor of a consult —
// and a site's queue is offered to receptionists who became free. CallService
// owns the calls and their maps; this is the ringing loop it runs on them.
import type { Clock } from '../core/index.ts';
import type { Route } from '../phonebook/index.ts';
import type { Call } from './call.ts';
import type { EndReason, LegState } from './types.ts';
import type { DeskCandidates } from './desk-candidates.ts';
import type { PhoneCalls } from './phone-calls.ts';
import type { CallTimers } from './call-timers.ts';
import type { ReceptionQueue } from './reception-queue.ts';
import type { ConsultHooks } from './consult-hooks.ts';

export interface RouteRingingDeps {
  clock: Clock;
  desks: DeskCandidates;
  phones: PhoneCalls;
  timers: CallTimers;
  queue: ReceptionQueue;
  /** Built after the ringing (it rings through it): asked when a leg ends. */
  consults: () => ConsultHooks;
  queueTimeoutS: number;
  inCall: (userId: string) => boolean;
  activeCalls: () => readonly Call[];
  end: (call: Call, reason: EndReason) => Promise<void>;
  /** What the desks are told (CallService's events). */
  ring: (userId: string, call: Call) => void;
  stopRing: (userId: string, call: Call, note: string) => void;
  missed: (userId: string, call: Call) => void;
}

export class RouteRinging {
  readonly #d: RouteRingingDeps;

  constructor(deps: RouteRingingDeps) {
    this.#d = deps;
  }

  /** Rings the call's next route that can ring; none left: the call ends unanswered. */
  async next(call: Call): Promise<void> {
    const { desks, phones, clock } = this.#d;
    while (!call.ended) {
      call.routeIndex += 1;
      const next = call.routes[call.routeIndex];
      if (!next) { await this.#d.end(call, 'no-answer'); return; }
      if (phones.handles(next.route)) { phones.ring(call, next.route, next.reception); return; }
      const candidates = await desks.of(call, next.route);
      if (call.ended) return;
      const free = candidates.filter((u) => desks.isFree(u));
      if (free.length > 0) { this.#ring(call, next.route, free, next.reception); return; }
      const busy = candidates.filter((u) => this.#d.inCall(u));
      this.#ring(call, next.route, [], next.reception);
      if (next.reception && busy.length > 0) {
        call.endLeg('busy', clock.now(), { note: 'queued' });
        this.#enqueue(call);
        return;
      }
      call.endLeg(busy.length > 0 ? 'busy' : 'failed', clock.now(), { note: busy.length > 0 ? 'busy' : 'offline' });
      // The desk that transferred the call is not told it missed it when the call comes back and it is away.
      if (next.route.type === 'desk-user' && !next.returning) this.#d.missed(next.route.userId, call);
    }
  }

  /** The current leg ended without an answer (`note`: timeout, declined, offline …): on to what comes next. */
  unanswered(call: Call, note: string, state?: Exclude<LegState, 'ringing' | 'answered'>): Promise<void> {
    const leg = call.currentLeg;
    if (!leg || call.ended) return Promise.resolve();
    this.#d.timers.clear(call, 'leg');
    call.endLeg(state ?? (note === 'declined' ? 'declined' : 'no-answer'), this.#d.clock.now(), { note });
    for (const u of leg.ringing) this.#d.stopRing(u, call, note);
    // A consult nobody takes: back to the visitor.
    const consult = this.#d.consults().unanswered(call, leg, note);
    if (consult) return consult;
    // A colleague who does not come: the call goes on as it was.
    if (leg.addedBy) return Promise.resolve();
    if (leg.route.type === 'desk-user' && note !== 'declined' && !call.routes[call.routeIndex]?.returning) this.#d.missed(leg.route.userId, call);
    // A queued call whose receptionist did not pick up goes back to the front of the queue.
    if (call.routes[call.routeIndex]?.reception && this.#d.queue.wasQueued(call)) { this.#enqueue(call, true); return Promise.resolve(); }
    return this.next(call);
  }

  /** Rings free receptionists for the calls waiting in a site's queue. */
  async drainQueue(siteId: string): Promise<void> {
    const { queue, desks } = this.#d;
    for (const call of queue.calls(siteId)) {
      const route = call.routes[call.routeIndex]?.route;
      if (!route) continue;
      const free = (await desks.free(call, route)).filter((u) => !this.#ringingFor(u));
      if (free.length === 0 || call.ended || !queue.has(call)) continue;
      queue.remove(call);
      this.#ring(call, route, free, true);
    }
    queue.notify(siteId);
  }

  #ring(call: Call, route: Route, users: string[], reception: boolean): void {
    call.openLeg(route, users, this.#d.clock.now());
    if (users.length === 0) return;
    // While a transfer rings its target (or returns), the terminal keeps showing the transfer step.
    if (!call.transferredBy) call.setStep({ step: 'ringing', routeIndex: call.routeIndex, target: reception ? 'reception' : route.type === 'desk-user' ? 'person' : 'group' });
    for (const u of users) this.#d.ring(u, call);
    this.#d.timers.start(call, 'leg', call.legTimeoutS, () => void this.unanswered(call, 'timeout'));
  }

  #enqueue(call: Call, front = false): void {
    const { timers, queue } = this.#d;
    timers.clear(call, 'cap');
    queue.add(call, front);
    call.setStep({ step: 'queued', position: queue.position(call) });
    if (!timers.has(call, 'queue')) timers.start(call, 'queue', this.#d.queueTimeoutS, () => void this.#d.end(call, 'no-answer'));
  }

  #ringingFor(userId: string): boolean {
    return this.#d.activeCalls().some((c) => c.currentLeg?.ringing.includes(userId));
  }
}
