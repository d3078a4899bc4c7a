// socket.io-client retries a lost connection on its own, but not one the gateway's
// namespace middleware refused (a connect_error while the socket is no longer active):
// a store that was busy for a moment then leaves a page saying "reconnecting …" for
// ever. Refusals that will not change (`unauthenticated`, `forbidden…`) go to `refused`;
// any other is tried again after a pause, as the banner promises.
import type { Socket } from 'socket.io-client';

/** The pause before trying a refused connection again. */
export const REFUSED_RETRY_MS = 2_000;

export function retryRefusedConnects(socket: Socket, refused: (reason: string) => void): void {
  socket.on('connect_error', (error: Error) => {
    if (socket.active) return;
    if (error.message === 'unauthenticated' || error.message.startsWith('forbidden')) { refused(error.message); return; }
    setTimeout(() => { if (!socket.connected && !socket.active) socket.connect(); }, REFUSED_RETRY_MS);
  });
}
