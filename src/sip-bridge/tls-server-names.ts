// The name a stream transport's TLS connection verifies the peer's certificate as
// (stream-transport.ts): tls.server_name, else the host name the request goes to,
// else — for a request to an address (a Record-Route, a Via received) — the
// configured server name that resolves to that address:port. Only the account's
// configured servers count: a name from a message never becomes the identity of
// an address (review s23 #3).
import { isIP } from 'node:net';
import { keyOf } from './stream-connection.ts';
import type { HostPort } from './sip-wire.ts';

export class TlsServerNames {
  readonly #servers: HostPort[];
  readonly #serverName: string | undefined;
  readonly #lookup: (host: string) => Promise<string>;
  /** address:port → the configured server name that resolves to it (refreshed whenever one is reached by name). */
  readonly #names = new Map<string, string>();

  constructor(servers: HostPort[], serverName: string | undefined, lookup: (host: string) => Promise<string>) {
    this.#servers = servers;
    this.#serverName = serverName;
    this.#lookup = lookup;
  }

  /** Resolves the configured servers given by name (a failed lookup: that server is verified by name only). */
  async resolve(): Promise<void> {
    await Promise.all(this.#servers.filter((s) => !isIP(s.host)).map(async (s) => {
      const address = await this.#lookup(s.host).catch(() => undefined);
      if (address) this.#names.set(keyOf(address, s.port), s.host);
    }));
  }

  /** A request goes to `target`, reached at `peer` (address:port): a configured server reached by name is remembered there. */
  reached(target: HostPort, peer: string): void {
    if (!isIP(target.host) && this.#isServer(target.host)) this.#names.set(peer, target.host);
  }

  /** The name the certificate of a connection to `target` at `peer` is verified as; undefined: the address itself. */
  verifiedAs(target: HostPort, peer: string): string | undefined {
    return this.#serverName || (isIP(target.host) ? this.#names.get(peer) : target.host);
  }

  clear(): void { this.#names.clear(); }

  #isServer(host: string): boolean {
    return this.#servers.some((s) => s.host.toLowerCase() === host.toLowerCase());
  }
}
