// The name a stream transport's TLS connection verifies the peer's certificate as
// (stream-transport.ts): tls.server_name, else the host name the request goes to,
// else — for a request to an address (a Record-Route, a Via received) — the
// configured server name that resolves to that address:port. Only the account's
// configured servers count: a name from a message never becomes the identity of
// an address (review s23 #3). A server learned from the registrar domain's SRV
// records is verified as that domain, never as its own name: an SRV answer is
// unauthenticated, the domain is what the administrator configured (RFC 5922 §4,
// review s26 #14).
import { isIP } from 'node:net';
import { keyOf } from './stream-connection.ts';
import type { HostPort } from './sip-wire.ts';

export class TlsServerNames {
  readonly #servers: HostPort[];
  readonly #serverName: string | undefined;
  readonly #lookup: (host: string) => Promise<string>;
  readonly #derived: (host: string) => string | undefined;
  /** address:port → the configured server name that resolves to it (refreshed whenever one is reached by name). */
  readonly #names = new Map<string, string>();

  /** `derived`: the registrar domain when `host` is a server learned from its SRV records, else undefined. */
  constructor(servers: HostPort[], serverName: string | undefined, lookup: (host: string) => Promise<string>,
    derived: (host: string) => string | undefined = () => undefined) {
    this.#servers = servers;
    this.#serverName = serverName;
    this.#lookup = lookup;
    this.#derived = derived;
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
    if (isIP(target.host)) return;
    const name = this.#nameOf(target.host);
    if (name) this.#names.set(peer, name);
  }

  /** The name the certificate of a connection to `target` at `peer` is verified as; undefined: the address itself. */
  verifiedAs(target: HostPort, peer: string): string | undefined {
    return this.#serverName || (isIP(target.host) ? this.#names.get(peer) : this.#derived(target.host) ?? target.host);
  }

  clear(): void { this.#names.clear(); }

  /** The identity of a server reached by `host`: the registrar domain for an SRV target, a configured server's own name. */
  #nameOf(host: string): string | undefined {
    const domain = this.#derived(host);
    if (domain) return domain;
    return this.#servers.some((s) => s.host.toLowerCase() === host.toLowerCase()) ? host : undefined;
  }
}
