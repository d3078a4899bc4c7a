// Which message a broker delivered, for the broker benches' subscriber (bench/mqtt-lib.ts
// runLoad): each publisher's payload carries its index and a sequence number, and the
// subscriber checks that every one came exactly once — a total alone lets one message
// lost and another delivered twice pass. The stamp is the JSON payload's "at" (a device
// payload's informational time, docs/devices.md, so Portier's payload check takes it):
// 13 digits `1PPPSSSSSSSSS`, publisher PPP and sequence SSSSSSSSS, a valid JSON number of
// fixed width whose sequence is written in place per message. The ledger keeps one byte
// per message in an array per publisher: no object, Map entry or string per message.

export const MAX_PUBLISHERS = 1_000;
export const MAX_SEQUENCE = 1_000_000_000;
/** The stamp's digits, and of them the sequence's (the last). */
const STAMP_DIGITS = 13;
const SEQUENCE_DIGITS = 9;
const ZERO = 0x30;
const CLOSE = 0x7d; // '}'

/**
 * `payload` (a JSON object's text) stamped for `publisher`, sequence 0; `seqAt`: the byte
 * where its sequence's digits start (writeSequence), counted from the payload's start.
 */
export function stampedPayload(payload: string, publisher: number): { payload: Buffer; seqAt: number } {
  if (!Number.isInteger(publisher) || publisher < 0 || publisher >= MAX_PUBLISHERS) throw new RangeError(`publisher ${publisher}: 0 … ${MAX_PUBLISHERS - 1}`);
  const inner = payload.trimEnd();
  if (!inner.startsWith('{') || !inner.endsWith('}')) throw new RangeError(`the load's payload must be a JSON object to carry its stamp: ${payload}`);
  const body = inner.slice(0, -1).trimEnd();
  const text = `${body}${body.endsWith('{') ? '' : ','}"at":1${String(publisher).padStart(3, '0')}${'0'.repeat(SEQUENCE_DIGITS)}}`;
  const bytes = Buffer.from(text, 'utf8');
  return { payload: bytes, seqAt: bytes.length - 1 - SEQUENCE_DIGITS };
}

/** Writes `seq` (0 … MAX_SEQUENCE - 1) as the stamp's sequence digits at `buf[at…]`. */
export function writeSequence(buf: Buffer, at: number, seq: number): void {
  for (let i = SEQUENCE_DIGITS - 1; i >= 0; i--) {
    buf[at + i] = ZERO + (seq % 10);
    seq = (seq / 10) | 0;
  }
}

/**
 * The subscriber's account of a load: per publisher, which sequence numbers came. A
 * repeat is allowed only at QoS 1 with DUP set (a broker re-delivering, MQTT 3.1.1
 * §3.3.1.1; at QoS 0 DUP must be 0); anything else — a repeat without it, a payload
 * without a stamp, a publisher or sequence the load did not send — is a violation,
 * named once (the first) through `onViolation`.
 */
export class DeliveryLedger {
  readonly #seen: Uint8Array[];
  readonly #perPublisher: number;
  readonly #qos: 0 | 1;
  readonly #names: readonly string[];
  readonly #onViolation: (why: string) => void;
  /** Messages that came at least once; copies re-delivered with DUP (QoS 1). */
  distinct = 0;
  redelivered = 0;
  violation: string | undefined;

  /** `names`: each publisher's name (its client id) for the messages it names. */
  constructor(names: readonly string[], perPublisher: number, qos: 0 | 1, onViolation: (why: string) => void) {
    if (names.length > MAX_PUBLISHERS || perPublisher > MAX_SEQUENCE) throw new RangeError(`at most ${MAX_PUBLISHERS} publishers of ${MAX_SEQUENCE} messages each`);
    this.#seen = names.map(() => new Uint8Array(perPublisher));
    this.#perPublisher = perPublisher;
    this.#qos = qos;
    this.#names = names;
    this.#onViolation = onViolation;
  }

  get expected(): number { return this.#seen.length * this.#perPublisher; }

  /** One delivery: its payload is `buf[start, end)`; `dup`: the PUBLISH's DUP flag. */
  record(buf: Buffer, start: number, end: number, dup: boolean): void {
    const at = end - 1 - STAMP_DIGITS;
    if (at < start || buf[end - 1] !== CLOSE || buf[at] !== 0x31) { this.#violate(`a payload without a stamp: ${buf.toString('utf8', start, Math.min(end, start + 80))}`); return; }
    let publisher = 0;
    let seq = 0;
    // A digit out of 0-9 (a corrupted payload) makes the number NaN: refused below, never read as another message.
    const digit = (i: number) => { const d = buf[i]! - ZERO; return d >= 0 && d <= 9 ? d : Number.NaN; };
    for (let i = at + 1; i < at + 4; i++) publisher = publisher * 10 + digit(i);
    for (let i = at + 4; i < end - 1; i++) seq = seq * 10 + digit(i);
    const seen = this.#seen[publisher];
    if (seen === undefined || !(seq >= 0 && seq < this.#perPublisher)) { this.#violate(`a message the load did not send (publisher ${publisher}, sequence ${seq})`); return; }
    if (seen[seq] === 0) { seen[seq] = 1; this.distinct++; return; }
    if (dup && this.#qos === 1) { this.redelivered++; return; }
    this.#violate(`${this.#names[publisher]}'s message ${seq} delivered twice (QoS ${this.#qos}${dup ? ', DUP set' : ', DUP not set'})`);
  }

  /** The first message not delivered yet, named (undefined: none missing). */
  firstMissing(): string | undefined {
    for (let p = 0; p < this.#seen.length; p++) {
      const seq = this.#seen[p]!.indexOf(0);
      if (seq >= 0) return `${this.#names[p]}'s message ${seq}`;
    }
    return undefined;
  }

  #violate(why: string): void {
    if (this.violation !== undefined) return;
    this.violation = why;
    this.#onViolation(why);
  }
}
