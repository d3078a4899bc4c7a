// The per-publish topic checks: the in-place own-namespace match and the door
// command fast reject give exactly what splitting and the regexes gave (fast-check).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mayPublish, ownLeaf, parseDeviceTopic, parseDoorCommandTopic, publishAcl, publishedLeaf, type DeviceIdentity } from '../../src/device-hub/topics.ts';

const segment = fc.oneof(
  fc.constantFrom('hq', 'site-2', 'reader-1', 'door-1', 'doors', 'card', 'state', 'event', 'ack', 'cmd', 'portier', '', 'Hq', '-x', 'a/b', 'a'.repeat(64)),
  fc.stringMatching(/^[a-zA-Z0-9/$#+-]{0,10}$/),
);
const kind = fc.constantFrom('card-reader', 'door', 'panel', 'sensor', 'display', 'integration') as fc.Arbitrary<DeviceIdentity['kind']>;
const identity: fc.Arbitrary<DeviceIdentity> = fc.record({ id: segment, siteId: segment, kind, doorId: fc.constant(null) });
/** Topics near a device's own: its parts, other parts, extra or missing levels. */
const topicFor = (d: DeviceIdentity) => fc.oneof(
  fc.tuple(fc.constantFrom('portier', 'portie', 'portierx', ''), fc.oneof(fc.constant(d.siteId), segment), fc.oneof(fc.constant(d.id), segment), segment)
    .map((parts) => parts.join('/')),
  fc.array(fc.oneof(fc.constant(d.siteId), fc.constant(d.id), segment), { maxLength: 6 }).map((parts) => ['portier', ...parts].join('/')),
);

/** What mayPublish was when it split the topic (the oracle). */
const PUBLISHES: Record<DeviceIdentity['kind'], readonly string[]> = {
  integration: [], 'card-reader': ['card', 'status', 'event'], door: ['state', 'ack', 'status', 'event'],
  panel: ['card', 'state', 'ack', 'status', 'event'], sensor: ['event', 'status'], display: ['status', 'ack'],
};
function splitMayPublish(device: DeviceIdentity, topic: string): boolean {
  if (device.kind === 'integration') return false;
  const t = parseDeviceTopic(topic);
  return !!t && t.siteId === device.siteId && t.deviceId === device.id && PUBLISHES[device.kind].includes(t.leaf);
}

describe('device topics (fast-check)', () => {
  it('ownLeaf is parseDeviceTopic restricted to the device\'s own site and id', () => {
    fc.assert(fc.property(identity.chain((d) => fc.tuple(fc.constant(d), topicFor(d))), ([device, topic]) => {
      const t = parseDeviceTopic(topic);
      expect(ownLeaf(device, topic)).toBe(t && t.siteId === device.siteId && t.deviceId === device.id ? t.leaf : undefined);
    }), { numRuns: 5_000 });
  });

  it('mayPublish allows exactly what it allowed when it split the topic', () => {
    fc.assert(fc.property(identity.chain((d) => fc.tuple(fc.constant(d), topicFor(d))), ([device, topic]) => {
      expect(mayPublish(device, topic)).toBe(splitMayPublish(device, topic));
    }), { numRuns: 5_000 });
  });

  it('publishedLeaf (the ACL\'s read, passed on to the pipeline; and publishAcl, made once per connection) is ownLeaf wherever mayPublish allows, and undefined elsewhere', () => {
    fc.assert(fc.property(identity.chain((d) => fc.tuple(fc.constant(d), topicFor(d))), ([device, topic]) => {
      expect(publishedLeaf(device, topic)).toBe(splitMayPublish(device, topic) ? ownLeaf(device, topic) : undefined);
    }), { numRuns: 5_000 });
    // One ACL made for a connection answers each of its publishes (it keeps nothing between them).
    fc.assert(fc.property(identity.chain((d) => fc.tuple(fc.constant(d), fc.array(topicFor(d), { minLength: 1, maxLength: 8 }))), ([device, topics]) => {
      const acl = publishAcl(device);
      for (const topic of topics) expect(acl(topic)).toBe(splitMayPublish(device, topic) ? ownLeaf(device, topic) : undefined);
    }), { numRuns: 2_000 });
  });

  it('finds a device\'s own topics', () => {
    const reader: DeviceIdentity = { id: 'reader-1', kind: 'card-reader', siteId: 'hq', doorId: null };
    expect(ownLeaf(reader, 'portier/hq/reader-1/card')).toBe('card');
    expect(mayPublish(reader, 'portier/hq/reader-1/card')).toBe(true);
    expect(ownLeaf(reader, 'portier/hq/reader-1/card/x')).toBeUndefined();
    expect(ownLeaf(reader, 'portier/hq/reader-10/card')).toBeUndefined();
    expect(ownLeaf({ ...reader, id: 'doors' }, 'portier/hq/doors/card')).toBeUndefined();
  });

  it('the door command check answers like its pattern alone', () => {
    const pattern = (topic: string) => /^portier\/([^/]+)\/doors\/([^/]+)\/cmd$/.exec(topic);
    const topic = fc.oneof(
      fc.tuple(segment, segment, fc.constantFrom('cmd', 'cmdx', '/cmd', 'state')).map(([s, d, l]) => `portier/${s}/doors/${d}/${l}`),
      fc.array(segment, { maxLength: 6 }).map((p) => p.join('/')),
    );
    fc.assert(fc.property(topic, (t) => {
      const m = pattern(t);
      expect(parseDoorCommandTopic(t)).toEqual(m ? { siteId: m[1], doorId: m[2] } : undefined);
    }), { numRuns: 3_000 });
  });
});
