// The local CA's name constraints (RFC 5280 4.2.1.10): its key can sign only for
// the names and addresses Portier serves, so a kiosk that trusts it trusts
// nothing else (a stolen CA key cannot impersonate a bank). DER written here:
// @peculiar/x509 2.2 has no NameConstraints extension class.
import { isIP } from 'node:net';

export const NAME_CONSTRAINTS_OID = '2.5.29.30';

/** A DER TLV. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n])
    : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/** The 4 or 16 bytes of an address ("%zone" dropped). */
export function ipBytes(address: string): Buffer {
  const ip = address.split('%')[0]!;
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6) throw new Error(`not an IP address: ${address}`);
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap((g) => {
    if (!g.includes('.')) return [parseInt(g, 16)];
    const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
    return [(a << 8) | b, (c << 8) | d];
  }));
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** An address or a CIDR block ("10.0.0.0/8") as iPAddress constraint bytes: address then mask. */
function ipSubtree(entry: string): Buffer {
  const [address, prefix] = entry.split('/') as [string, string | undefined];
  const bytes = ipBytes(address);
  const bits = prefix === undefined ? bytes.length * 8 : Number(prefix);
  const mask = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) mask[i] = 0xff & (0xff << (8 - Math.max(0, Math.min(8, bits - i * 8))));
  return Buffer.concat([bytes.map((b, i) => b & mask[i]!), mask]);
}

const isAddress = (entry: string): boolean => isIP(entry.split('/')[0]!.split('%')[0]!) !== 0;
const subtree = (name: Buffer): Buffer => tlv(0x30, name);
const dnsName = (name: string): Buffer => tlv(0x82, Buffer.from(name, 'ascii'));
const ipName = (bytes: Buffer): Buffer => tlv(0x87, bytes);

/**
 * The NameConstraints extension's value (DER) for `permitted`: DNS names,
 * addresses and CIDR blocks. A kind of name with nothing permitted is excluded
 * altogether (an empty permitted list would leave that kind unconstrained).
 * Sorted and deduplicated, so the same set always gives the same bytes.
 */
export function nameConstraintsDer(permitted: readonly string[]): Buffer {
  const entries = [...new Set(permitted.map((p) => (isAddress(p) ? p : p.toLowerCase().replace(/\.$/, ''))))].sort();
  const dns = entries.filter((e) => !isAddress(e)).map((e) => subtree(dnsName(e)));
  const ips = entries.filter(isAddress).map(ipSubtree);
  const allowed = [...dns, ...ips.map((b) => subtree(ipName(b)))];
  const denied: Buffer[] = [];
  if (dns.length === 0) denied.push(subtree(dnsName('')));
  if (!ips.some((b) => b.length === 8)) denied.push(subtree(ipName(Buffer.alloc(8))));
  if (!ips.some((b) => b.length === 32)) denied.push(subtree(ipName(Buffer.alloc(32))));
  return tlv(0x30, Buffer.concat([
    ...(allowed.length ? [tlv(0xa0, Buffer.concat(allowed))] : []),
    ...(denied.length ? [tlv(0xa1, Buffer.concat(denied))] : []),
  ]));
}

/** Private and loopback blocks: a default (unconfigured) address is permitted by its block, so a new DHCP lease needs no new CA. */
const PRIVATE_BLOCKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '::1/128', 'fc00::/7', 'fe80::/10'];

function inBlock(address: string, block: string): boolean {
  const a = ipBytes(address);
  const b = ipSubtree(block);
  if (b.length !== a.length * 2) return false;
  return a.every((byte, i) => (byte & b[a.length + i]!) === b[i]);
}

/**
 * What the CA permits for host names that were not configured (derived from the
 * machine): its names exactly, a private or loopback address by its whole
 * block, any other address exactly.
 */
export function defaultPermitted(hostNames: readonly string[]): string[] {
  return [...new Set(hostNames.map((h) => {
    if (!isAddress(h)) return h;
    return PRIVATE_BLOCKS.find((block) => inBlock(h, block)) ?? h.split('%')[0]!;
  }))];
}
