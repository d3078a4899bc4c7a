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
import { freePort, freePorts } from './ports.ts';

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
    // 'close', not 'exit': once its output is read too (Node may report the exit before the last of it), which
    // #started's 'taken' and the failure messages quoting `output` depend on.
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout!.on('data', (d: Buffer) => { this.output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.output += d.toString(); });
  }

  /**
   * Starts a UAS with the scenario; resolves once its sockets are bound. `calls`: exit after that many (exited()
   * then says whether each passed its checks). `port`: the first attempt's SIP port (a test of the retry, see #launch).
   */
  static async uas(scenario: string, keys: Record<string, string | number> = {}, opts: { calls?: number; port?: number; mediaPort?: number } = {}): Promise<Sipp> {
    return Sipp.#launch((port, mediaPort, dir) => {
      const args = ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-nostdin', '-trace_err', '-error_file', join(dir, 'errors.log')];
      for (const [k, v] of Object.entries(keys)) args.push('-key', k, String(v));
      if (opts.calls) args.push('-m', String(opts.calls));
      return args;
    }, opts, 'server');
  }

  /**
   * Starts a UAC placing `calls` calls (one at a time) with the scenario to `target`
   * (host:port); `auth` answers a challenge with sipp's [authentication] — its `uri`
   * (without "sip:", e.g. the Request-URI's `4711@127.0.0.1:5070`) is what the digest is
   * computed over (sipp's -auth_uri; sipp's default is remote_ip:remote_port, which is not
   * the Request-URI and Portier refuses). exited() gives its exit code (0: every call succeeded).
   * Resolves once its sockets are bound (or it ended by itself: a short call may be over by then).
   */
  static async uac(scenario: string, target: string, opts: { keys?: Record<string, string | number>; auth?: { user: string; password: string; uri?: string }; calls?: number; mediaPort?: number } = {}): Promise<Sipp> {
    return Sipp.#launch((port, mediaPort, dir) => {
      const args = [target, '-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort),
        '-m', String(opts.calls ?? 1), '-l', '1', '-nostdin', '-trace_err', '-error_file', join(dir, 'errors.log')];
      if (opts.auth) args.push('-au', opts.auth.user, '-ap', opts.auth.password);
      if (opts.auth?.uri) args.push('-auth_uri', opts.auth.uri);
      for (const [k, v] of Object.entries(opts.keys ?? {})) args.push('-key', k, String(v));
      return args;
    }, opts, 'client');
  }

  /**
   * Spawns sipp on free ports and waits until it holds them. A free port can be taken by another process between
   * the look-up and sipp's bind, and sipp also binds its video RTP socket at the media port + 2, which nobody looked
   * up (a fresh-clone run: "Unable to bind video RTP socket … Address already in use", the UAC gone before its
   * INVITE): then new ports, at most 5 times — sipp binds every socket before its first call. `port`, `mediaPort`:
   * the first attempt's (tests of that retry). A server that ended before it was up failed to start; a client may
   * have placed its calls already.
   */
  static async #launch(argsFor: (port: number, mediaPort: number, dir: string) => string[], first: { port?: number; mediaPort?: number }, role: 'server' | 'client'): Promise<Sipp> {
    requireExecutable(SIPP, 'Debian package sip-tester');
    for (let attempt = 1; ; attempt++) {
      const port = attempt === 1 && first.port ? first.port : await freePort();
      // sipp binds the media port and the one two above it (video).
      const mediaPort = attempt === 1 && first.mediaPort ? first.mediaPort : (await freePorts(3))[0]!;
      const dir = mkdtempSync(join(tmpdir(), 'portier-sipp-'));
      const child = spawn(SIPP, argsFor(port, mediaPort, dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const sipp = new Sipp(port, mediaPort, child, dir);
      const started = await sipp.#started();
      if (started === 'up' || (started === 'ended' && role === 'client')) return sipp;
      await sipp.close();
      if (started === 'ended' || attempt >= 5) throw new Error(`sipp did not bind its ports:\n${sipp.output.slice(-2000)}`);
    }
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
    if (code !== 0) this.#readErrors();
    return code;
  }
  #errorsRead = false;

  /**
   * sipp prints nothing to a pipe while it runs: it is up once its own sockets hold its SIP port and both RTP ports.
   * Another process's socket on one of them does not count. 'taken' when it ended because a port was another's
   * (errno 98), 'ended' when it ended otherwise. No limit on the polls: a loaded machine may take long to start
   * sipp; the test's hook timeout bounds it.
   */
  async #started(): Promise<'up' | 'ended' | 'taken'> {
    let exited = false;
    void this.#exited.then(() => { exited = true; });
    while (!exited) {
      if (await boundBy(this.#child.pid!, this.port, this.mediaPort, this.mediaPort + 2)) return 'up';
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.#readErrors();
    return /Unable to bind|Address already in use/.test(this.output) ? 'taken' : 'ended';
  }

  /** Adds sipp's error file (why it failed a call or did not start) to `output`, once. */
  #readErrors(): void {
    if (this.#errorsRead) return;
    this.#errorsRead = true;
    try { this.output += `\n--- sipp's error file ---\n${readFileSync(join(this.#dir, 'errors.log'), 'utf8').slice(-2000)}`; } catch { /* none written */ }
  }

  /**
   * Stops sipp and removes its directory. A sipp that had failed by itself while no test asked why (a test that timed
   * out waiting for Portier, as refer-out.test.ts's did while sipp had aborted its call) leaves its error file on
   * stderr first: the run's log says what sipp saw.
   */
  async close(): Promise<void> {
    const running = this.#child.exitCode === null && this.#child.signalCode === null;
    if (running) this.#child.kill('SIGTERM');
    await this.#exited;
    if (!running && this.#child.exitCode !== 0 && !this.#errorsRead) {
      this.#readErrors();
      process.stderr.write(`sipp ${this.pid} (SIP port ${this.port}) had failed, exit ${this.#child.exitCode}:\n${this.output.slice(-3000)}\n`);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Whether process `pid` holds a UDP socket bound to each of the ports on 127.0.0.1 or any address: the sockets'
 * inodes from /proc/net/udp among the process's open files. Probing by binding a port ourselves would take it for a
 * moment (a sipp starting then fails with EADDRINUSE); the port alone may be another process's.
 */
export async function boundBy(pid: number, ...ports: number[]): Promise<boolean> {
  const table = (await readFile('/proc/net/udp', 'utf8')).split('\n').slice(1);
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const held = new Set(await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))));
  return ports.every((port) => socketsOn(table, port).some((inode) => held.has(inode)));
}

/** The inodes (as `socket:[n]`, how /proc/<pid>/fd names them) of the UDP sockets bound to `port` on 127.0.0.1 or any address. */
function socketsOn(table: string[], port: number): string[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table.flatMap((line) => {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    const columns = line.trim().split(/\s+/);
    const local = columns[1];
    const bound = local !== undefined && local.endsWith(hex) && (local.startsWith('0100007F') || local.startsWith('00000000'));
    return bound && columns[9] ? [`socket:[${columns[9]}]`] : [];
  });
}
