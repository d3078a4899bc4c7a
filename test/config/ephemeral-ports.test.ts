// Fixed ports inside the kernel's range for outgoing connections (src/lifecycle/ephemeral-ports.ts): rtc.base_port's
// default 40000 lies in Linux's 32768–60999, where an outgoing connection can take a media worker's port before
// its replacement binds it again. The start names every such port not reserved, with the sysctl that reserves it.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { exposedPorts, ephemeralPortWarning, parseRange, parseReserved, rangeList } from '../../src/lifecycle/ephemeral-ports.ts';
import { startGateway } from '../support/gateway.ts';
import { freePorts } from '../support/ports.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const load = (env: NodeJS.ProcessEnv = {}): Config => loadConfig({ configDir: join(ROOT, 'config'), env, cwd: '/srv/portier' });
const LINUX = { low: 32_768, high: 60_999 };
const dir = mkdtempSync(join(tmpdir(), 'portier-ephemeral-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The kernel's two files as the gateway reads them. */
function kernelFiles(name: string, range: string, reserved: string): { range: string; reserved: string } {
  const files = { range: join(dir, `${name}.range`), reserved: join(dir, `${name}.reserved`) };
  writeFileSync(files.range, range);
  writeFileSync(files.reserved, reserved);
  return files;
}

describe('fixed ports in the kernel\'s ephemeral range', () => {
  it('reads the kernel\'s formats and writes its list back', () => {
    expect(parseRange('32768\t60999\n')).toEqual(LINUX);
    expect(parseRange('60999 32768')).toBeUndefined();
    expect(parseRange('')).toBeUndefined();
    expect(parseReserved('\n')).toEqual([]);
    expect(parseReserved('5060,40000-40063\n')).toEqual([{ low: 5060, high: 5060 }, { low: 40_000, high: 40_063 }]);
    expect(parseReserved('x,7')).toEqual([{ low: 7, high: 7 }]);
    expect(rangeList([{ low: 40_002, high: 40_002 }, { low: 40_000, high: 40_001 }, { low: 45_000, high: 45_000 }, { low: 40_001, high: 40_010 }]))
      .toBe('40000-40010,45000');
  });

  it('names the default rtc.base_port per worker and a SIP account\'s local_port, not what is reserved or outside', () => {
    const config = load();
    expect(exposedPorts(config, 2, LINUX, [])).toEqual([{ key: 'rtc.base_port', ports: [40_000, 40_001] }]);
    expect(exposedPorts(config, 2, LINUX, [{ low: 40_000, high: 40_063 }])).toEqual([]);
    expect(exposedPorts(config, 3, LINUX, [{ low: 40_001, high: 40_001 }])).toEqual([{ key: 'rtc.base_port', ports: [40_000, 40_002] }]);
    const withAccount = { ...config, sip: { ...config.sip, accounts: [{ ...config.sip.accounts[0], local_port: 45_000 }] } } as Config;
    expect(exposedPorts(withAccount, 1, LINUX, [{ low: 40_000, high: 40_000 }])).toEqual([{ key: 'sip.accounts[0].local_port', ports: [45_000] }]);
    // Below the range (the HTTP, MQTT and SIP defaults) and an ephemeral base port: nothing.
    expect(exposedPorts(load({ PORTIER_RTC__BASE_PORT: '0' }), 4, LINUX, [])).toEqual([]);
    expect(exposedPorts(load({ PORTIER_RTC__BASE_PORT: '20000' }), 4, LINUX, [])).toEqual([]);
  });

  it('words the warning in English and German with the sysctl line that keeps what is reserved; none where /proc is unreadable', () => {
    const line = ephemeralPortWarning(load(), 2, kernelFiles('default', '32768\t60999\n', '5060\n'))!;
    expect(line).toContain("config: ports of rtc.base_port (40000-40001) lie in the kernel's range for outgoing connections (32768-60999)");
    expect(line).toContain(' / Ports von rtc.base_port (40000-40001) liegen im Bereich des Kernels für ausgehende Verbindungen');
    expect(line).toContain('sysctl -w net.ipv4.ip_local_reserved_ports=5060,40000-40001');
    expect(ephemeralPortWarning(load(), 2, kernelFiles('reserved', '32768 60999', '40000-40063'))).toBeUndefined();
    expect(ephemeralPortWarning(load(), 2, { range: join(dir, 'none'), reserved: join(dir, 'none') })).toBeUndefined();
  });

  it('a starting gateway warns once about its media worker\'s port in the range, and not when it is reserved', async () => {
    // A free port (below the real range, so no connection takes it) that the files make part of the range.
    const [port] = await freePorts(1) as [number];
    const range = `${port - 100}\t${port + 100}\n`;
    const warnings = async (reserved: string): Promise<string[]> => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk)).msg); cb(); } }));
      const gw = await startGateway({ PORTIER_RTC__BASE_PORT: String(port) }, { logger, kernelPortFiles: kernelFiles(`gw${reserved}`, range, reserved) });
      await gw.close();
      return lines.filter((l) => l.includes('ip_local_reserved_ports'));
    };
    expect(await warnings('')).toEqual([expect.stringContaining(`config: ports of rtc.base_port (${port}) lie in the kernel's range`)]);
    expect(await warnings(String(port))).toEqual([]);
  });
});
