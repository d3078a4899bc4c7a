// gatewayProcess's `exited` comes after the child's last output, not with its exit: a
// lifecycle test reads `logs` and `stderr()` right after it (CI saw "stops on SIGTERM
// with exit 0" fail once on a loaded machine).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayProcess, type GatewayProcess } from './gateway-process.ts';

/**
 * A stand-in gateway: logs ready, then exits at once, leaving its stdout and stderr to a child
 * of its own that writes the last log line and a stderr line only when told so on their shared
 * fd 3 (Node destroys a child's stdin at its exit). The order Node may report a real gateway's
 * end in, made certain: its exit first, its last lines later.
 */
const LATE_WRITER = `const fs = require('node:fs');
new (require('node:net').Socket)({ fd: 3 }).once('data', () => { fs.writeSync(1, JSON.stringify({ msg: 'gateway: stopped' }) + '\\n'); fs.writeSync(2, 'last words\\n'); process.exit(0); });`;
const STAND_IN = `const { spawn } = require('node:child_process');
spawn(process.execPath, ['-e', ${JSON.stringify(LATE_WRITER)}], { stdio: ['ignore', 'inherit', 'inherit', 'inherit'] });
require('node:fs').writeSync(1, JSON.stringify({ msg: 'gateway: ready', ports: { http: 1, https: 2 } }) + '\\n');
process.exit(0);`;

describe('gateway process helper', () => {
  let gw: GatewayProcess | undefined;
  afterEach(() => { (gw?.child.stdio[3] as Duplex | undefined)?.destroy(); gw?.cleanup(); gw = undefined; });

  it('resolves exited only once the last log line and stderr have been read, not at the exit', async () => {
    const child = spawn(process.execPath, ['-e', STAND_IN], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    // Listening before ready is awaited: the stand-in may exit before the test reads its ready line.
    const exit = once(child, 'exit');
    gw = gatewayProcess(child, mkdtempSync(join(tmpdir(), 'portier-proc-test-')));
    expect(await gw.ready).toEqual({ http: 1, https: 2 });
    await exit;
    // Exited, its last lines still to come.
    expect(gw.logs.map((l) => l.msg)).toEqual(['gateway: ready']);
    (child.stdio[3] as Duplex).end('go\n');
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    expect(gw.logs.map((l) => l.msg)).toEqual(['gateway: ready', 'gateway: stopped']);
    expect(gw.stderr()).toBe('last words\n');
  });
});
