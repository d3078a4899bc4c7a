// YAML rule seeds: loaded as source file, hot-reloaded, a bad file rejected with
// file, rule and field while the previous rules stay active and devices stay connected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub, connect, device, closeClient, waitForEvent, type HubFixture } from '../support/mqtt.ts';
import { readRuleFiles } from '../../src/device-hub/rules/rule-files.ts';

const rule = (id: string, text: string) => `
  - id: ${id}
    site: hq
    trigger: { topic: "portier/hq/+/event", when: { type: button } }
    actions:
      - { type: desk.notify, role: reception, text: "${text}" }
`;

describe('device hub: rule files', () => {
  let fx: HubFixture;
  let dir: string;
  /** What the active rules told the desks. */
  const notices: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-rules-'));
    writeFileSync(join(dir, 'lobby.yaml'), `rules:${rule('button-a', 'one')}`);
    fx = await startHub({ settings: { rulesDir: dir }, ports: { desks: { notify: async (r) => { notices.push(String(r.text)); } } } });
  });
  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the shipped examples in config/rules are valid', () => {
    const rules = readRuleFiles(join(import.meta.dirname, '..', '..', 'config', 'rules'));
    expect(rules.length).toBeGreaterThan(0);
  });

  it('loads the files as source: file, read-only through the store', async () => {
    const [stored] = await fx.hub.listRules();
    expect(stored).toMatchObject({ id: 'button-a', source: 'file', file: 'lobby.yaml', version: 1 });
    await expect(fx.hub.putRule({ type: 'user', id: 'u' }, stored!.definition)).rejects.toThrow(/edit the file/);
  });

  it('hot-reloads a changed file, and a bad one is rejected naming file, rule and field while the previous rules stay', async () => {
    const s = await connect(fx.url.tcp, device(await fx.register('sensor-1', 'sensor')));
    const reloaded = waitForEvent(fx.hub, 'rulesReloaded', (r: { ok: boolean }) => r.ok);
    writeFileSync(join(dir, 'lobby.yaml'), `rules:${rule('button-a', 'two')}${rule('button-b', 'three')}`);
    await reloaded;
    expect((await fx.hub.listRules()).map((r) => [r.id, r.version])).toEqual([['button-a', 2], ['button-b', 1]]);

    const rejected = waitForEvent(fx.hub, 'rulesReloaded', (r: { ok: boolean }) => !r.ok);
    writeFileSync(join(dir, 'lobby.yaml'), `rules:${rule('button-a', 'four')}${rule('button-b', 'five').replace('desk.notify', 'desk.shout')}`);
    const [result] = await rejected;
    expect(result.error).toMatch(/^rules: file lobby\.yaml: rule button-b: field \/actions\/0\/type: /);
    // The previous rules are the active ones: a button press runs button-a ("two") and button-b ("three").
    notices.length = 0;
    await s.publishAsync('portier/hq/sensor-1/event', '{"type":"button"}', { qos: 1 });
    await fx.hub.idle();
    expect(notices.sort()).toEqual(['three', 'two']);
    expect(fx.hub.status().rules).toMatchObject({ active: 2, error: result.error });
    expect(s.connected).toBe(true);
    await closeClient(s);

    const fixed = waitForEvent(fx.hub, 'rulesReloaded', (r: { ok: boolean }) => r.ok);
    cpSync(join(dir, 'lobby.yaml'), join(dir, 'lobby.yaml.bak'));
    writeFileSync(join(dir, 'lobby.yaml'), `rules:${rule('button-a', 'six')}`);
    await fixed;
    expect((await fx.hub.listRules()).map((r) => r.id)).toEqual(['button-a']);
  });
});
