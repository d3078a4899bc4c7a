// The broker benches' message stamps (bench/mqtt-stamp.ts): each publisher's payload
// names it and its sequence number in a JSON "at" of fixed width that Portier's payload
// check takes, and the subscriber's ledger tells every message came exactly once — a
// repeat allowed only at QoS 1 with DUP set — naming the first that did not.
import { describe, expect, it } from 'vitest';
import { DeliveryLedger, stampedPayload, writeSequence } from '../../bench/mqtt-stamp.ts';
import { parseDeviceMessage } from '../../src/device-hub/payloads.ts';

const PAYLOAD = '{"type":"motion","value":true}';

/** Publisher `p`'s message `seq`, as the load sends it. */
function message(p: number, seq: number, payload = PAYLOAD): Buffer {
  const stamped = stampedPayload(payload, p);
  const copy = Buffer.from(stamped.payload);
  writeSequence(copy, stamped.seqAt, seq);
  return copy;
}

describe('bench mqtt-stamp', () => {
  it('stamps a JSON object with its publisher and sequence: fixed width, valid JSON, a sensor event Portier takes', () => {
    expect(message(7, 123_456_789).toString()).toBe('{"type":"motion","value":true,"at":1007123456789}');
    expect(message(0, 0, '{}').toString()).toBe('{"at":1000000000000}');
    expect(message(999, 42).length).toBe(message(0, 0).length);
    expect(JSON.parse(message(3, 19_999).toString())).toEqual({ type: 'motion', value: true, at: 1_003_000_019_999 });
    expect(parseDeviceMessage('event', message(3, 19_999))).toMatchObject({ ok: true });
    expect(() => stampedPayload('plain text', 0)).toThrow(RangeError);
    expect(() => stampedPayload(PAYLOAD, 1000)).toThrow(RangeError);
  });

  const ledger = (qos: 0 | 1) => {
    const violations: string[] = [];
    const l = new DeliveryLedger(['pub-0', 'pub-1'], 3, qos, (why) => violations.push(why));
    const deliver = (p: number, seq: number, dup = false) => { const m = message(p, seq); l.record(m, 0, m.length, dup); };
    return { l, violations, deliver };
  };

  it('counts each message once, whatever the order, and names the first still missing', () => {
    const { l, violations, deliver } = ledger(0);
    for (const [p, seq] of [[1, 2], [0, 0], [1, 0], [0, 2]] as const) deliver(p, seq);
    expect(l.distinct).toBe(4);
    expect(l.firstMissing()).toBe("pub-0's message 1");
    deliver(0, 1);
    expect(l.firstMissing()).toBe("pub-1's message 1");
    deliver(1, 1);
    expect({ distinct: l.distinct, expected: l.expected, missing: l.firstMissing(), violations }).toEqual({ distinct: 6, expected: 6, missing: undefined, violations: [] });
  });

  it('QoS 0: a message delivered twice is a violation, named once — even with the right total', () => {
    const { l, violations, deliver } = ledger(0);
    deliver(0, 0); deliver(0, 1); deliver(0, 1); deliver(1, 0); deliver(1, 0, true);
    expect(violations).toEqual(["pub-0's message 1 delivered twice (QoS 0, DUP not set)"]);
    expect(l.violation).toBe(violations[0]);
  });

  it('QoS 1: a copy with DUP set is a redelivery (counted apart), one without it a violation', () => {
    const { l, violations, deliver } = ledger(1);
    deliver(1, 2); deliver(1, 2, true);
    expect({ distinct: l.distinct, redelivered: l.redelivered, violations }).toEqual({ distinct: 1, redelivered: 1, violations: [] });
    deliver(1, 2);
    expect(violations).toEqual(["pub-1's message 2 delivered twice (QoS 1, DUP not set)"]);
  });

  it('a message the load did not send, or one without a stamp, is a violation', () => {
    const a = ledger(1);
    a.deliver(2, 0);
    expect(a.violations).toEqual(['a message the load did not send (publisher 2, sequence 0)']);
    const b = ledger(1);
    b.deliver(0, 3);
    expect(b.violations).toEqual(['a message the load did not send (publisher 0, sequence 3)']);
    const c = ledger(1);
    const plain = Buffer.from(PAYLOAD);
    c.l.record(plain, 0, plain.length, false);
    expect(c.violations).toEqual([`a payload without a stamp: ${PAYLOAD}`]);
  });

  it('a corrupted stamp digit is a violation, never read as another message', () => {
    const violations: string[] = [];
    const l = new DeliveryLedger(['p0'], 20, 0, (why) => violations.push(why));
    const m = message(0, 0);
    // The sequence's second-last digit '0' becomes ':' (one past '9'): read as digits it would be message 10.
    m[m.length - 3] = 0x3a;
    l.record(m, 0, m.length, false);
    expect(l.distinct).toBe(0);
    expect(violations).toEqual(['a message the load did not send (publisher 0, sequence NaN)']);
  });

  it('reads the payload where the packet has it: inside a larger buffer', () => {
    const { l, violations } = ledger(1);
    const m = message(1, 1);
    const buf = Buffer.concat([Buffer.from('topic+id'), m, Buffer.from('next packet')]);
    l.record(buf, 8, 8 + m.length, false);
    expect({ distinct: l.distinct, missing: l.firstMissing(), violations }).toEqual({ distinct: 1, missing: "pub-0's message 0", violations: [] });
  });
});
