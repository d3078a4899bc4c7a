// Which desks a route may ring for a call: the route's user or its group's
// members on the call's site, of those the ones allowed to answer there; free
// ones are available (presence) and in no call. A telephone route rings no desk.
import type { Route } from '../phonebook/index.ts';
import type { Call } from './call.ts';
import type { DeskPresence, Directory } from './ports.ts';

export class DeskCandidates {
  readonly #directory: Directory;
  readonly #presence: DeskPresence;
  readonly #inCall: (userId: string) => boolean;

  constructor(deps: { directory: Directory; presence: DeskPresence; inCall: (userId: string) => boolean }) {
    this.#directory = deps.directory;
    this.#presence = deps.presence;
    this.#inCall = deps.inCall;
  }

  /** The route's desks that may answer on the call's site (busy or away ones too). */
  async of(call: Call, route: Route): Promise<string[]> {
    const users = route.type === 'desk-user' ? [route.userId]
      : route.type === 'desk-group' ? await this.#directory.members(route.roleId, call.siteId)
      : []; // a telephone route without its driver (no SIP account): nobody to ring
    const allowed = await Promise.all(users.map(async (u) => ((await this.#directory.mayAnswer(u, call.siteId)) ? u : undefined)));
    return allowed.filter((u): u is string => u !== undefined);
  }

  /** Available and in no call. */
  isFree(userId: string): boolean { return this.#presence.isAvailable(userId) && !this.#inCall(userId); }

  /** The route's desks that may answer and are free now. */
  async free(call: Call, route: Route): Promise<string[]> {
    return (await this.of(call, route)).filter((u) => this.isFree(u));
  }
}
