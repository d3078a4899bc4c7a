// Whose share a source address counts against, for the per-source limits (the
// guard's token bucket, the stream transport's connections per source): an IPv4
// address is one source, but an IPv6 host owns a whole /64 (2^64 addresses it may
// send from), so IPv6 sources are keyed by their /64 prefix.
import { isIP } from 'node:net';

/** `a.b.c.d` for IPv4 (also IPv4-mapped IPv6), `x:x:x:x::/64` for IPv6, anything else as it is. */
export function sourceKey(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const bare = plain.split('%')[0]!;
  if (isIP(bare) !== 6) return plain;
  const [head = '', tail] = bare.split('::') as [string, string | undefined];
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
