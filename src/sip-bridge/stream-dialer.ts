// The stream transport's outgoing connections (stream-transport.ts): TCP, or TLS with
// the peer's certificate verified against the account's CA and the server's own name
// (or tls.server_name), each attempt given up after 64·T1, and the last TLS failure
// kept (SipTlsError: untrusted or failed) until a TLS connection succeeds again; for
// WS/WSS the connection is then upgraded to a WebSocket (ws-upgrade.ts).
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Clock } from '../core/index.ts';
import { SipTlsError, UnavailableError } from '../core/index.ts';
import { formatHost, type HostPort } from './sip-wire.ts';
import { DEFAULT_TIMERS, type SipTimers } from './transactions.ts';
import type { StreamProtocol, StreamTlsOptions } from './stream-transport.ts';
import { upgradeToWebSocket } from './ws-upgrade.ts';

export interface StreamDialerOptions {
  protocol: StreamProtocol;
  clock: Clock;
  timers?: SipTimers;
  /** Outgoing connections leave from this address unless it is a wildcard. */
  bindHost: string;
  tls?: StreamTlsOptions;
  /** Told when a TLS connection fails and when one succeeds again (undefined). */
  onTlsState?: (error: SipTlsError | undefined) => void;
  /** WS/WSS: the upgrade's HTTP path (default '/'). */
  wsPath?: string;
  /** WS/WSS: the largest WebSocket message taken in. */
  maxMessageBytes?: number;
}

export class StreamDialer {
  readonly #opts: StreamDialerOptions;
  /** The last TLS failure, until a TLS connection succeeds. */
  tlsFailure?: SipTlsError;
  /** Sockets still connecting (TCP, the TLS handshake, the WebSocket upgrade): each gives up after 64·T1, and close() destroys them. */
  readonly #opening = new Set<Socket>();

  constructor(opts: StreamDialerOptions) {
    this.#opts = opts;
  }

  /**
   * A connected (over TLS: verified) socket to `address` for `target`; `running` false by then: refused.
   * Over TLS the certificate is verified as `serverName` (also the SNI); undefined: as `address` itself.
   */
  async dial(address: string, target: HostPort, serverName: string | undefined, running: () => boolean): Promise<Socket> {
    const { protocol } = this.#opts;
    const upgrade = isWebSocket(protocol);
    const socket = await this.#connect(address, target, serverName, running, upgrade);
    if (!upgrade) return socket;
    // The socket stays with the opening ones until its upgrade settled: close() meanwhile destroys it, which
    // fails the upgrade — before, the upgrade completed after the close and was filed into the closed transport (review s26 #12).
    try {
      const handshakeMs = 64 * (this.#opts.timers ?? DEFAULT_TIMERS).t1Ms;
      const stream = await upgradeToWebSocket(socket, target, { secure: protocol === 'WSS', path: this.#opts.wsPath ?? '/', handshakeMs, maxPayload: this.#opts.maxMessageBytes ?? 65_535 });
      if (running()) return stream;
      stream.destroy();
      throw new UnavailableError('SIP transport closed');
    } finally {
      this.#opening.delete(socket);
    }
  }

  /** `keepOpening`: once connected the socket stays in #opening (dial() takes it out when its upgrade settled). */
  #connect(address: string, target: HostPort, serverName: string | undefined, running: () => boolean, keepOpening: boolean): Promise<Socket> {
    const tls = secureProtocol(this.#opts.protocol);
    return new Promise<Socket>((resolve, reject) => {
      const tcp = tcpConnect({ host: address, port: target.port, localAddress: localAddressFor(this.#opts.bindHost, address) });
      const socket: Socket = tls
        // Without a configured name, an IP address must be in the certificate's subjectAltName.
        ? tlsConnect({ socket: tcp, host: address, ca: this.#opts.tls?.ca, servername: serverName, rejectUnauthorized: true })
        : tcp;
      const ready = tls ? 'secureConnect' : 'connect';
      const clock = this.#opts.clock;
      const limitMs = 64 * (this.#opts.timers ?? DEFAULT_TIMERS).t1Ms;
      this.#opening.add(socket);
      // A peer that accepts and never finishes (a silent TLS server, a middlebox) must not hold its destination for good (review s20 #6).
      const giveUp = clock.setTimeout(() => socket.destroy(Object.assign(new Error(`no ${tls ? 'TLS handshake' : 'connection'} with ${formatHost(address)}:${target.port} within ${limitMs} ms`), { code: 'ETIMEDOUT' })), limitMs);
      const settled = (opening: boolean) => { clock.clearTimeout(giveUp); if (!opening) this.#opening.delete(socket); };
      const onError = (error: Error) => {
        settled(false);
        socket.destroy();
        if (!tls || !running()) return reject(error);
        const failure = tlsError(error, `${formatHost(address)}:${target.port}`, serverName);
        this.tlsFailure = failure;
        this.#opts.onTlsState?.(failure);
        reject(failure);
      };
      socket.once('error', onError);
      socket.once(ready, () => {
        settled(keepOpening && running());
        socket.off('error', onError);
        if (tls && this.tlsFailure) {
          this.tlsFailure = undefined;
          this.#opts.onTlsState?.(undefined);
        }
        if (!running()) {
          socket.destroy();
          return reject(new UnavailableError('SIP transport closed'));
        }
        resolve(socket);
      });
    });
  }

  /** Destroys the sockets still connecting or upgrading. */
  close(): void {
    for (const socket of this.#opening) socket.destroy(new UnavailableError('SIP transport closed'));
    this.#opening.clear();
  }
}

/** Whether the protocol is SIP over a WebSocket (RFC 7118). */
export const isWebSocket = (protocol: StreamProtocol): boolean => protocol === 'WS' || protocol === 'WSS';

/** Whether the protocol runs over TLS (SIP over TLS, or a WebSocket over TLS). */
export const secureProtocol = (protocol: StreamProtocol): boolean => protocol === 'TLS' || protocol === 'WSS';

/** Outgoing connections leave from the bound address unless it is a wildcard. */
function localAddressFor(bindHost: string, peer: string): string | undefined {
  if (bindHost === '0.0.0.0' || bindHost === '::') return undefined;
  return isIP(bindHost) === isIP(peer) ? bindHost : undefined;
}

/** OpenSSL's and Node's codes for a certificate that does not verify (as opposed to a connection that failed). */
const UNTRUSTED = /CERT|SIGNATURE|ISSUER|ALTNAME|SELF_SIGNED/;

function tlsError(error: Error, peer: string, serverName: string | undefined): SipTlsError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
  const untrusted = UNTRUSTED.test(code);
  const name = serverName ? ` (${serverName})` : '';
  return new SipTlsError(
    untrusted ? `TLS: the certificate of ${peer}${name} is not trusted: ${code}` : `TLS to ${peer}${name} failed: ${code}`,
    { reason: untrusted ? 'sip.tls-untrusted' : 'sip.tls-failed', params: { code, peer } },
  );
}
