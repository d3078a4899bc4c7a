// sipp (Debian sip-tester 3.6.1) as a SIP user agent server for tests: one
// process per scenario file, on a free UDP port of 127.0.0.1, answering every
// call it gets until it is stopped (by its PID). Scenario keywords come in with
// -key (e.g. the RTP port an answer names).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireExecutable } from './tools.ts';
import { freeUdpPort } from './kamailio.ts';

const SIPP = '/usr/bin/sipp';
/** RTP captures sipp ships (play_pcap_audio). */
export const SIPP_PCAP_DIR = '/usr/share/sip-tester';

export class Sipp {
  readonly port: number;
  readonly mediaPort: number;
  /** stdout and stderr together (sipp's errors and its final statistics). */
  output = '';
  readonly #child: ChildProcess;
  readonly #dir: string;
  #exited: Promise<void>;

  private constructor(port: number, mediaPort: number, child: ChildProcess, dir: string) {
    this.port = port;
    this.mediaPort = mediaPort;
    this.#child = child;
    this.#dir = dir;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout!.on('data', (d: Buffer) => { this.output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.output += d.toString(); });
  }

  /**
   * Starts a UAS with the scenario; resolves once its SIP socket is bound. `calls`: exit after that many (exited()
   * then says whether each passed its checks). A free port can be taken by another process between the look-up and
   * sipp's bind (EADDRINUSE, sipp exits): then new ports, at most 5 times. `port`: the first attempt's SIP port
   * (a test of that retry).
   */
  static async uas(scenario: string, keys: Record<string, string | number> = {}, opts: { calls?: number; port?: number } = {}): Promise<Sipp> {
    requireExecutable(SIPP, 'Debian package sip-tester');
    for (let attempt = 1; ; attempt++) {
      const [port, mediaPort] = [attempt === 1 && opts.port ? opts.port : await freeUdpPort(), await freeUdpPort()];
      const dir = mkdtempSync(join(tmpdir(), 'portier-sipp-'));
      const args = ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-nostdin', '-trace_err', '-error_file', join(dir, 'errors.log')];
      for (const [k, v] of Object.entries(keys)) args.push('-key', k, String(v));
      if (opts.calls) args.push('-m', String(opts.calls));
      const child = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const sipp = new Sipp(port, mediaPort, child, dir);
      try {
        await sipp.#bound();
        return sipp;
      } catch (error) {
        await sipp.close();
        if (attempt >= 5 || !/Unable to bind|Address already in use/.test(String(error))) throw error;
      }
    }
  }

  /**
   * Starts a UAC placing `calls` calls (one at a time) with the scenario to `target`
   * (host:port); `auth` answers a challenge with sipp's [authentication] — its `uri`
   * (without "sip:", e.g. the Request-URI's `4711@127.0.0.1:5070`) is what the digest is
   * computed over (sipp's -auth_uri; sipp's default is remote_ip:remote_port, which is not
   * the Request-URI and Portier refuses). exited() gives its exit code (0: every call succeeded).
   */
  static async uac(scenario: string, target: string, opts: { keys?: Record<string, string | number>; auth?: { user: string; password: string; uri?: string }; calls?: number } = {}): Promise<Sipp> {
    requireExecutable(SIPP, 'Debian package sip-tester');
    const [port, mediaPort] = [await freeUdpPort(), await freeUdpPort()];
    const dir = mkdtempSync(join(tmpdir(), 'portier-sipp-'));
    const args = [target, '-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort),
      '-m', String(opts.calls ?? 1), '-l', '1', '-nostdin', '-trace_err', '-error_file', join(dir, 'errors.log')];
    if (opts.auth) args.push('-au', opts.auth.user, '-ap', opts.auth.password);
    if (opts.auth?.uri) args.push('-auth_uri', opts.auth.uri);
    for (const [k, v] of Object.entries(opts.keys ?? {})) args.push('-key', k, String(v));
    const child = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Sipp(port, mediaPort, child, dir);
  }

  /** sipp's process id: a UAC's first call has Call-ID `1-<pid>@<local ip>` (a test may send into that call). */
  get pid(): number { return this.#child.pid ?? -1; }

  /**
   * Resolves with sipp's exit code once it ended by itself (a UAC after its calls). A failed run's error file
   * (why sipp counted a call failed) is added at the end of `output`, which tests quote from its tail.
   */
  async exited(): Promise<number> {
    await this.#exited;
    const code = this.#child.exitCode ?? -1;
    if (code !== 0 && !this.#errorsRead) {
      this.#errorsRead = true;
      try { this.output += `\n--- sipp's error file ---\n${readFileSync(join(this.#dir, 'errors.log'), 'utf8').slice(-2000)}`; } catch { /* none written */ }
    }
    return code;
  }
  #errorsRead = false;

  /**
   * sipp prints nothing to a pipe while it runs: it is up once its own socket holds the SIP port. Another
   * process's socket on that port does not count (sipp then exits with errno 98, and the caller retries).
   * No limit on the polls: a loaded machine may take long to start sipp; the test's hook timeout bounds it.
   */
  async #bound(): Promise<void> {
    let exited = false;
    void this.#exited.then(() => { exited = true; });
    while (!exited) {
      if (await boundBy(this.#child.pid!, this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    try { this.output += readFileSync(join(this.#dir, 'errors.log'), 'utf8'); } catch { /* none written */ }
    throw new Error(`sipp did not bind its port:\n${this.output.slice(-2000)}`);
  }

  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Whether process `pid` holds a UDP socket bound to the port on 127.0.0.1 or any address: the socket's inode from
 * /proc/net/udp among the process's open files. Probing by binding the port ourselves would take it for a moment
 * (a sipp starting then fails with EADDRINUSE); the port alone may be another process's.
 */
export async function boundBy(pid: number, port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = await readFile('/proc/net/udp', 'utf8');
  const inodes = new Set(table.split('\n').slice(1).flatMap((line) => {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    const columns = line.trim().split(/\s+/);
    const local = columns[1];
    const held = local !== undefined && local.endsWith(hex) && (local.startsWith('0100007F') || local.startsWith('00000000'));
    return held && columns[9] ? [`socket:[${columns[9]}]`] : [];
  }));
  if (inodes.size === 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (inodes.has(target)) return true;
  }
  return false;
}
