// The TLS listener follows certificate renewals without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsProvider } from '../../src/tls/index.ts';
import { systemClock } from '../../src/core/index.ts';
import { startHub, connect, device, closeClient, type HubFixture } from '../support/mqtt.ts';

async function localCa() {
  const dir = mkdtempSync(join(tmpdir(), 'portier-renew-'));
  const tls = new TlsProvider({ dataDir: dir, certFile: '', keyFile: '', hostNames: ['localhost'], renewBeforeDays: 30 }, systemClock);
  await tls.start();
  const material = tls.material;
  await tls.close();
  return { dir, material, ca: readFileSync(join(dir, 'tls', 'ca.crt'), 'utf8') };
}

class FakeSource extends EventEmitter {
  material: { cert: string; key: string };
  constructor(material: { cert: string; key: string }) {
    super();
    this.material = material;
  }
}

describe('device hub: TLS renewal', () => {
  let fx: HubFixture;
  let a: Awaited<ReturnType<typeof localCa>>;
  let b: Awaited<ReturnType<typeof localCa>>;
  let sensor: { id: string; secret: string };
  let source: FakeSource;
  beforeAll(async () => {
    [a, b] = [await localCa(), await localCa()];
    source = new FakeSource(a.material);
    fx = await startHub({ tlsSource: source });
    sensor = await fx.register('sensor-1', 'sensor');
  });
  afterAll(async () => {
    await fx?.close();
    for (const x of [a, b]) rmSync(x.dir, { recursive: true, force: true });
  });

  it('serves the renewed certificate to new connections at once', async () => {
    const url = fx.url.tls;
    await closeClient(await connect(url, device(sensor, { ca: a.ca, servername: 'localhost' })));
    source.emit('renewed', b.material);
    await expect(connect(url, device(sensor, { ca: a.ca, servername: 'localhost' }))).rejects.toThrow();
    const c = await connect(url, device(sensor, { ca: b.ca, servername: 'localhost' }));
    expect(c.connected).toBe(true);
    await closeClient(c);
    // Closing the hub closes its TLS listener, which stops following the source.
    await fx.hub.close();
    expect(source.listenerCount('renewed')).toBe(0);
  });
});
