// The synthetic probe's namespace: the probe credential (bearer, renewed at each
// start) signs in through the same engine, Origin check and authenticator as
// terminals and desks, and `probe.ping` is acknowledged. It joins no room and
// touches no presence, call or kiosk state.
import type { Namespace, Socket } from 'socket.io';
import type { Authenticator } from '../access/index.ts';

export const PROBE_NAMESPACE = '/probe';

export function probeNamespace(ns: Namespace, authenticator: Authenticator): void {
  ns.use((socket, next) => void authenticator.resolve(socket.request, ['probe']).then(
    (principal) => next(principal?.scheme === 'probe' ? undefined : new Error('unauthenticated')),
    (e: Error) => next(e),
  ));
  ns.on('connection', (socket: Socket) => {
    socket.on('probe.ping', (...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack === 'function') (ack as (r: { ok: true }) => void)({ ok: true });
    });
  });
}
