// Property: random topics and payloads, from a real client or straight into the
// message pipeline (the part on its own), never crash or stall the hub; a valid
// message still gets through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { systemClock } from '../../src/core/index.ts';
import { startHub, connect, device, closeClient, nextMessage, type HubFixture } from '../support/mqtt.ts';
import { pipelineOn } from '../support/hub-parts.ts';
import { parseDeviceMessage } from '../../src/device-hub/payloads.ts';

const leaves = fc.constantFrom('card', 'state', 'event', 'ack', 'status', 'cmd', 'presence', 'x');
const jsonish = fc.oneof(
  fc.json().map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.record({ card: fc.oneof(fc.string(), fc.integer()), format: fc.string() }).map((o) => Buffer.from(JSON.stringify(o))),
  fc.record({ state: fc.constantFrom('open', 'closed', 'forced', 'held-open', 'ajar'), locked: fc.boolean() }).map((o) => Buffer.from(JSON.stringify(o))),
  fc.record({ id: fc.string(), result: fc.constantFrom('ok', 'refused', 'maybe') }).map((o) => Buffer.from(JSON.stringify(o))),
);
const topicSegment = fc.stringMatching(/^[a-z0-9$-]{0,12}$/);
const anyTopic = fc.oneof(
  leaves.map((l) => `portier/hq/reader-p/${l}`),
  fc.array(topicSegment, { minLength: 1, maxLength: 6 }).map((s) => s.join('/')).filter((t) => t.length > 0),
);

describe('device hub: random input (fast-check)', () => {
  let fx: HubFixture;
  let reader: { id: string; secret: string };
  let client: MqttClient;
  beforeAll(async () => {
    fx = await startHub();
    reader = await fx.register('reader-p', 'panel');
    client = await connect(fx.url.tcp, device(reader));
    await client.subscribeAsync('portier/hq/reader-p/#', { qos: 1 });
  });
  afterAll(async () => {
    await closeClient(client);
    await fx?.close();
  });

  it('the payload parser never throws', () => {
    fc.assert(fc.property(fc.string({ maxLength: 12 }), jsonish, (leaf, payload) => {
      const r = parseDeviceMessage(leaf, payload);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 2_000 });
  });

  it('random messages into the pipeline never reject and leave it idle', async () => {
    const identity = { id: 'reader-p', kind: 'panel' as const, siteId: 'hq', doorId: fx.doorId };
    const pipeline = pipelineOn(fx.svc, systemClock);
    try {
      await fc.assert(fc.asyncProperty(anyTopic, jsonish, fc.boolean(), async (topic, payload, retain) => {
        await pipeline.messages.receive(identity, topic, payload, retain);
      }), { numRuns: 300 });
      await pipeline.messages.idle();
    } finally {
      pipeline.close();
    }
  });

  it('random publishes from a connected device never crash or stall the broker', async () => {
    await fc.assert(fc.asyncProperty(anyTopic, jsonish, fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>, fc.boolean(), async (topic, payload, qos, retain) => {
      await client.publishAsync(topic, payload, { qos, retain });
    }), { numRuns: 200 });
    // Still connected, still routing, still answering.
    const probe = nextMessage(client, 'portier/hq/reader-p/event', 30_000, (p: { type?: string }) => p.type === 'tamper');
    await client.publishAsync('portier/hq/reader-p/event', '{"type":"tamper"}', { qos: 1 });
    await probe;
    await fx.hub.idle();
    expect(client.connected).toBe(true);
    expect(fx.hub.status().state).toBe('ready');
  });
});
