// A tiny authoritative DNS server on 127.0.0.1 for the SIP tests (node:dgram): SRV, A
// and AAAA records from a zone the test sets and changes, each with its TTL; NXDOMAIN
// for names it does not know, an empty answer (NODATA) for a type a known name lacks.
// Every query is logged and announced ('query'), so a test waits on them, not on time.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';

export interface DnsSrv { priority: number; weight: number; port: number; target: string }

/** One name's records. */
export interface DnsEntry { srv?: DnsSrv[]; a?: string[]; aaaa?: string[]; ttl?: number }

const TYPE = { A: 1, AAAA: 28, SRV: 33 } as const;
const TYPE_NAME: Record<number, string> = { 1: 'A', 28: 'AAAA', 33: 'SRV' };

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

/** The question's name, type and where it ends (no compression in a question we are sent). */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  let at = 12;
  const labels: string[] = [];
  while (at < msg.length && msg[at] !== 0) {
    const len = msg[at]!;
    labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii'));
    at += 1 + len;
  }
  if (at + 5 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(at + 1), end: at + 5 };
}

function record(type: number, ttl: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // the question's name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt32BE(ttl, 6);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(groups.flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff]; }));
}

function answers(entry: DnsEntry, type: number): Buffer[] {
  const ttl = entry.ttl ?? 60;
  if (type === TYPE.SRV) {
    return (entry.srv ?? []).map((s) => {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(s.priority, 0);
      fixed.writeUInt16BE(s.weight, 2);
      fixed.writeUInt16BE(s.port, 4);
      return record(type, ttl, Buffer.concat([fixed, encodeName(s.target)]));
    });
  }
  if (type === TYPE.A) return (entry.a ?? []).map((a) => record(type, ttl, Buffer.from(a.split('.').map(Number))));
  if (type === TYPE.AAAA) return (entry.aaaa ?? []).map((a) => record(type, ttl, ipv6Bytes(a)));
  return [];
}

export class DnsServer extends EventEmitter<{ query: [name: string, type: string] }> {
  readonly #socket: Socket;
  /** Name (lower case, no trailing dot) → its records; change it while the server runs. */
  readonly zone = new Map<string, DnsEntry>();
  /** Every question asked: 'SRV _sip._udp.pbx.test', 'A sip1.pbx.test' … */
  readonly queries: string[] = [];

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => this.#answer(msg, rinfo.port, rinfo.address));
  }

  static async start(): Promise<DnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new DnsServer(socket);
  }

  get port(): number { return this.#socket.address().port; }
  /** As sip.dns_servers names it. */
  get address(): string { return `127.0.0.1:${this.port}`; }

  /** Resolves once `n` questions for `type name` were asked in all. */
  async asked(type: string, name: string, n: number): Promise<void> {
    const count = () => this.queries.filter((q) => q === `${type} ${name.toLowerCase()}`).length;
    while (count() < n) await new Promise<void>((resolve) => this.once('query', () => resolve()));
  }

  #answer(msg: Buffer, port: number, address: string): void {
    const q = msg.length >= 12 ? readQuestion(msg) : undefined;
    if (!q) return;
    const entry = this.zone.get(q.name);
    const found = entry ? answers(entry, q.type) : [];
    const head = Buffer.alloc(12);
    head.writeUInt16BE(msg.readUInt16BE(0), 0);
    // QR, AA, RD as asked, RA; RCODE 3 (NXDOMAIN) for an unknown name.
    head.writeUInt16BE(0x8480 | (msg.readUInt16BE(2) & 0x0100) | (entry ? 0 : 3), 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(found.length, 6);
    this.#socket.send(Buffer.concat([head, msg.subarray(12, q.end), ...found]), port, address);
    const asked = `${TYPE_NAME[q.type] ?? q.type} ${q.name}`;
    this.queries.push(asked);
    this.emit('query', q.name, TYPE_NAME[q.type] ?? String(q.type));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
