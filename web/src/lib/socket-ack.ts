// socket.io drops the acknowledgement of an emit whose socket disconnects before the
// answer (gateway restart, network): the promise would never settle and a button that
// waits for it would stay disabled. An emit made while disconnected would be buffered
// and sent at the next connect — a door opened minutes later. Neither happens here:
// 'offline' when nothing was sent, 'disconnected' when the answer can no longer come.
import type { Socket } from 'socket.io-client';

export function ackUnlessDisconnected<T>(socket: Socket, emit: () => Promise<T>): Promise<T | 'offline' | 'disconnected'> {
  if (!socket.connected) return Promise.resolve('offline');
  return new Promise((resolve, reject) => {
    const dropped = () => resolve('disconnected');
    socket.once('disconnect', dropped);
    emit().then(
      (value) => { socket.off('disconnect', dropped); resolve(value); },
      (error: unknown) => { socket.off('disconnect', dropped); reject(error); },
    );
  });
}
