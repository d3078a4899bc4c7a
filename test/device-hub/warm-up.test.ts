// The card path's start-up warm-up (BuiltinFlows.warm, run by DeviceHub.start
// before the listeners open) leaves nothing behind: no audit entry, no door
// command, nothing sent to a door; the next real read is the door's only command.
// The warm-up runs on built-in flows of its own over the hub's store (a part test),
// the real read through the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CARD_KEY, type HubFixture } from '../support/mqtt.ts';
import { startCardReadHub, type CardReadHub } from '../support/card-read-hub.ts';
import { flowsOn } from '../support/hub-parts.ts';

describe('device hub: card path warm-up', () => {
  let hub: CardReadHub;
  let fx: HubFixture;
  beforeAll(async () => {
    hub = await startCardReadHub();
    fx = hub.fx;
  });
  afterAll(async () => { await hub?.close(); });

  it('runs the card path with every write rolled back and nothing sent', async () => {
    const entries = async () => (await fx.svc.store.db.selectFrom('audit_log').select(['seq', 'action']).orderBy('seq').execute());
    const before = await entries();
    const commands: string[] = [];
    hub.door.on('message', (_topic, payload) => commands.push((JSON.parse(payload.toString()) as { id: string }).id));

    const part = flowsOn(fx.svc, fx.clock, TEST_CARD_KEY);
    try {
      expect(await part.flows.warm()).toEqual({ siteId: fx.siteId, doorId: fx.doorId });
      expect(part.published).toEqual([]);
    } finally {
      part.close();
    }
    expect(await entries()).toEqual(before);
    expect(await fx.svc.store.db.withTables<{ door_commands: { id: string } }>().selectFrom('door_commands').select('id').execute()).toEqual([]);

    hub.ackEveryCommand();
    await hub.read();
    const rows = await fx.svc.store.db.withTables<{ door_commands: { id: string; state: string } }>().selectFrom('door_commands').select(['id', 'state']).execute();
    expect(rows).toEqual([{ id: commands[0], state: 'acknowledged' }]);
    expect(commands).toHaveLength(1);
    const after = (await entries()).slice(before.length);
    expect(after.map((e) => e.action)).toEqual(['card.read', 'door.unlock', 'door.unlock']);
    expect(after[0]!.seq).toBe(before.at(-1)!.seq + 1);
  });
});
