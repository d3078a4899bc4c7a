// bench/mqtt-lib.ts waits for the hub process's info line (readHubInfo): the line named
// `info`, not a JSON log line of the hub's logger before it, and no hang when the
// process exits without printing it (review s29 #3).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { readHubInfo } from '../../bench/mqtt-lib.ts';

/** A child printing `lines` to stdout, then exiting with `code` or (code undefined) staying until its stdin ends. */
function child(lines: string[], code?: number) {
  const end = code === undefined ? "process.stdin.resume(); process.stdin.on('end', () => process.exit(0));" : `process.exit(${code});`;
  const proc = spawn(process.execPath, ['-e', `process.stdout.write(${JSON.stringify(lines.map((l) => `${l}\n`).join(''))}, () => { ${end} });`], { stdio: ['pipe', 'pipe', 'inherit'] });
  return { proc, lines: createInterface({ input: proc.stdout }) };
}

const LOG = JSON.stringify({ level: 40, msg: 'slow start' });

describe('bench: the hub process info line', () => {
  it('is the line named info, after the hub logger\'s JSON lines', async () => {
    const { proc, lines } = child([LOG, `info ${JSON.stringify({ tcp: 1883, doorId: 'd' })}`]);
    try {
      expect(await readHubInfo(lines, proc)).toMatchObject({ tcp: 1883, doorId: 'd' });
    } finally {
      proc.stdin.end();
    }
  });

  it('is refused when the process exits before printing it', async () => {
    const { proc, lines } = child([LOG], 3);
    await expect(readHubInfo(lines, proc)).rejects.toThrow(/exited \(code 3\) before its info line/);
  });
});
