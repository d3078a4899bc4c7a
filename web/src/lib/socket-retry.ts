// socket.io-client retries a lost connection on its own, but not one the gateway's
// namespace middleware refused (a connect_error while the socket is no longer active):
// a store that was busy for a moment then leaves a page saying "reconnecting …" for
// ever. Refusals that will not change (`unauthenticated`, `forbidden…`) go to `refused`;
// any other is tried again after a pause, as the banner promises.
import type { Socket } from 'socket.io-client';
import { api, ApiError } from './api.ts';

/** The pause before trying a refused connection again. */
export const REFUSED_RETRY_MS = 2_000;

export function retryRefusedConnects(socket: Socket, refused: (reason: string) => void): void {
  socket.on('connect_error', (error: Error) => {
    if (socket.active) return;
    if (error.message === 'unauthenticated' || error.message.startsWith('forbidden')) { refused(error.message); return; }
    setTimeout(() => { if (!socket.connected && !socket.active) socket.connect(); }, REFUSED_RETRY_MS);
  });
}

/** The pause before asking again when the gateway did not answer the check. */
export const RECHECK_MS = 5_000;

/**
 * After the gateway ended a page's socket ('io server disconnect') or refused it as unauthenticated —
 * socket.io-client does not reconnect after either — the page asks `mePath` whether it is still signed
 * in (desk) or paired (kiosk): 401 → `gone()`; an answer → the socket connects again; no answer → asked
 * again after RECHECK_MS. `cancel` stops a pending recheck (the page's socket effect going away).
 */
export function credentialCheck(socket: Socket, mePath: string, gone: () => void): { check: () => void; cancel: () => void } {
  let recheck: ReturnType<typeof setTimeout> | undefined;
  const check = () => void api('GET', mePath).then(
    () => { if (!socket.connected) socket.connect(); },
    (error: unknown) => { if (error instanceof ApiError && error.status === 401) gone(); else recheck = setTimeout(check, RECHECK_MS); },
  );
  return { check, cancel: () => clearTimeout(recheck) };
}
