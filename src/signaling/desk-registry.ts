// Which desk users are connected right now, on which sockets, with which
// presence; the call service asks it who can ring.
import type { Socket } from 'socket.io';
import type { DeskPresence } from '../calls/index.ts';

export class DeskRegistry implements DeskPresence {
  readonly #desks = new Map<string, { sockets: Set<Socket>; state: 'available' | 'away' }>();

  add(userId: string, socket: Socket): void {
    const desk = this.#desks.get(userId) ?? { sockets: new Set(), state: 'available' as const };
    desk.sockets.add(socket);
    this.#desks.set(userId, desk);
  }

  /** Removes a socket; returns true when it was the user's last one. */
  remove(userId: string, socket: Socket): boolean {
    const desk = this.#desks.get(userId);
    if (!desk) return true;
    desk.sockets.delete(socket);
    if (desk.sockets.size > 0) return false;
    this.#desks.delete(userId);
    return true;
  }

  setState(userId: string, state: 'available' | 'away'): void {
    const desk = this.#desks.get(userId);
    if (desk) desk.state = state;
  }

  state(userId: string): 'available' | 'away' | 'offline' {
    return this.#desks.get(userId)?.state ?? 'offline';
  }

  isAvailable(userId: string): boolean {
    return this.state(userId) === 'available';
  }

  sockets(userId: string): Socket[] {
    return [...(this.#desks.get(userId)?.sockets ?? [])];
  }

  get size(): number { return this.#desks.size; }
}
