// SIP over WebSocket (RFC 7118) for the stream transport (stream-transport.ts): a
// connection the dialer opened (TCP, or TLS verified as for SIP over TLS) is
// upgraded with the `sip` subprotocol, and the WebSocket becomes a stream the
// transport files like a TCP socket — each SIP message goes out as one text
// message, and each message that arrives is read as one chunk, one SIP message
// (RFC 7118 §5; ws-framing.ts), never run together with the next.
import type { Socket } from 'node:net';
import { WebSocket, createWebSocketStream } from 'ws';
import { UnavailableError } from '../core/index.ts';
import { formatHost, type HostPort } from './sip-wire.ts';

export interface WsUpgrade {
  secure: boolean;
  /** The HTTP path of the upgrade request ('/' unless the account's registrar names one). */
  path: string;
  /** The upgrade's handshake is given up after this long (ms). */
  handshakeMs: number;
  /** Largest WebSocket message taken in (sip.max_message_bytes). */
  maxPayload: number;
}

/** The socket upgraded: a stream with the socket's addresses, for the connection table to file like a TCP socket. */
export function upgradeToWebSocket(socket: Socket, target: HostPort, opts: WsUpgrade): Promise<Socket> {
  const url = `${opts.secure ? 'wss' : 'ws'}://${formatHost(target.host)}:${target.port}${opts.path}`;
  const addresses = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, localPort: socket.localPort };
  return new Promise<Socket>((resolve, reject) => {
    const ws = new WebSocket(url, 'sip', {
      createConnection: () => socket, handshakeTimeout: opts.handshakeMs, maxPayload: opts.maxPayload, perMessageDeflate: false,
    });
    const failed = (error: Error) => {
      ws.terminate();
      socket.destroy();
      reject(new UnavailableError(`SIP over WebSocket: the upgrade at ${url} failed: ${error.message}`, { reason: 'sip.ws-upgrade', params: { url } }));
    };
    ws.once('error', failed);
    ws.once('unexpected-response', (_req, res) => failed(new Error(`HTTP ${res.statusCode}`)));
    ws.once('open', () => {
      ws.off('error', failed);
      // Strings stay strings: each write is one text message (RFC 7118 §5: text for UTF-8 SIP); each message read is one chunk.
      const stream = createWebSocketStream(ws, { decodeStrings: false, readableObjectMode: true });
      stream.on('error', () => ws.terminate());
      Object.defineProperties(stream, {
        remoteAddress: { value: addresses.remoteAddress }, remotePort: { value: addresses.remotePort }, localPort: { value: addresses.localPort },
        setNoDelay: { value: () => stream },
      });
      resolve(stream as unknown as Socket);
    });
  });
}
