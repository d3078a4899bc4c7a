// Runs the gateway as a child process the way `npm start` does (the server bundle of the
// current sources, with the same Node flags), and reads its JSON log to learn when it is
// ready and on which ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EventEmitter } from 'node:events';
import { ensureServerBundle, SERVER_NODE_FLAGS } from '../../scripts/lib/build-server.mjs';

export interface GatewayProcess {
  child: ChildProcess;
  dataDir: string;
  logs: Array<Record<string, any>>;
  stderr: () => string;
  /** Resolves with the bound ports on "gateway: ready"; rejects if the process exits first. */
  ready: Promise<{ http: number; https: number }>;
  /** Resolves with the first log entry (already logged or to come) that matches. */
  waitForLog: (match: (entry: Record<string, any>) => boolean, timeoutMs?: number) => Promise<Record<string, any>>;
  /** Resolves with everything on stderr once it matches. */
  waitForStderr: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  /**
   * Resolves with the exit code and signal once the process has exited and its stdout and stderr have ended
   * ('close', not 'exit': Node reports the exit before it has read the pipes' last bytes), so `logs` and
   * `stderr()` then hold everything the gateway wrote.
   */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  cleanup: () => void;
}

export function spawnGateway(env: Record<string, string> = {}, args: string[] = []): GatewayProcess {
  const dataDir = mkdtempSync(join(tmpdir(), 'portier-proc-'));
  const { main } = ensureServerBundle();
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, main, ...args], { env: gatewayEnv(dataDir, env), stdio: ['ignore', 'pipe', 'pipe'] });
  return gatewayProcess(child, dataDir);
}

/**
 * The gateway as `npm start` runs it: scripts/start.mjs in a process group of its own (the child's pid is the
 * group's id), as a terminal's foreground job is — `process.kill(-child.pid, 'SIGINT')` is Ctrl-C; start.mjs puts
 * the gateway in a group of its own.
 */
export function spawnStartScript(env: Record<string, string> = {}): GatewayProcess {
  const dataDir = mkdtempSync(join(tmpdir(), 'portier-proc-'));
  const start = join(import.meta.dirname, '..', '..', 'scripts', 'start.mjs');
  const child = spawn(process.execPath, [start], { env: gatewayEnv(dataDir, env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return gatewayProcess(child, dataDir, { group: true });
}

/** The children of `pid`, read from /proc/<pid>/stat (its 4th field, after the command in parentheses, is the parent). */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch { /* gone meanwhile */ }
  }
  return children;
}

function killGroup(pid: number): void {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
}

function gatewayEnv(dataDir: string, env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env, PORTIER_DATA_DIR: dataDir, PORTIER_HTTP__PORT: '0', PORTIER_HTTPS__PORT: '0',
    PORTIER_HTTPS__HOST: '127.0.0.1', PORTIER_RTC__BASE_PORT: '0', PORTIER_MQTT__TCP__PORT: '0', PORTIER_MQTT__TLS__PORT: '0', PORTIER_RTC__WORKERS: '1',
    PORTIER_LIFECYCLE__DRAIN_SECONDS: '5', PORTIER_SLA__PROBE_SECONDS: '3600', ...env,
  };
}

/** Reads a gateway child's log and stderr (stdout and stderr piped); exported for a test with a stand-in child. */
export function gatewayProcess(child: ChildProcess, dataDir: string, { group = false } = {}): GatewayProcess {
  const logs: Array<Record<string, any>> = [];
  const events = new EventEmitter();
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; events.emit('stderr'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal })));
  const ready = new Promise<{ http: number; https: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, any>;
        logs.push(entry);
        events.emit('log', entry);
        if (entry.msg === 'gateway: ready') resolve(entry.ports);
      } catch {
        logs.push({ raw: line });
      }
    });
    void exited.then(({ code }) => reject(new Error(`gateway exited with ${code} before ready: ${stderr}`)));
  });
  ready.catch(() => {});
  const waitFor = <T>(event: string, check: (arg: unknown) => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const on = (arg: unknown) => {
        const found = check(arg);
        if (found === undefined) return;
        clearTimeout(timer);
        events.off(event, on);
        resolve(found);
      };
      const timer = setTimeout(() => { events.off(event, on); reject(new Error(`no ${what} within ${timeoutMs} ms`)); }, timeoutMs);
      events.on(event, on);
    });
  const waitForLog = (match: (entry: Record<string, any>) => boolean, timeoutMs = 30_000) => {
    const seen = logs.find(match);
    return seen ? Promise.resolve(seen) : waitFor('log', (e) => (match(e as Record<string, any>) ? (e as Record<string, any>) : undefined), 'matching log entry', timeoutMs);
  };
  const waitForStderr = (pattern: RegExp, timeoutMs = 30_000) =>
    pattern.test(stderr) ? Promise.resolve(stderr) : waitFor('stderr', () => (pattern.test(stderr) ? stderr : undefined), `stderr matching ${pattern}`, timeoutMs);
  return {
    child, dataDir, logs, ready, exited, waitForLog, waitForStderr, stderr: () => stderr,
    cleanup: () => {
      // spawnStartScript: the gateway start.mjs spawned (a process group of its own) goes too, then start.mjs's group.
      if (group) {
        for (const pid of childPids(child.pid!)) killGroup(pid);
        killGroup(child.pid!);
      } else if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

