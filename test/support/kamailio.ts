// A real Kamailio registrar for SIP tests: a generated kamailio.cfg on 127.0.0.1
// with a free UDP port, digest auth against a throwaway user list (plaintext
// passwords in the cfg, checked with pv_auth_check), usrloc in memory, and kamcmd
// over a private control socket. Runs in the foreground; stopped by its PID.
// With `ws` it serves SIP over WebSocket (RFC 7118) too: xhttp and websocket modules
// (Debian package kamailio-websocket-modules) upgrading on a TCP port of its own,
// and on the TLS port (WSS) when that is on.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireExecutable } from './tools.ts';
import { freePort } from './ports.ts';

export interface KamailioUser {
  username: string;
  /** Digest user, default the username. */
  authUsername?: string;
  password: string;
}

export interface KamailioOptions {
  domain: string;
  users: KamailioUser[];
  /** Shorter expiries are refused with 423 and Min-Expires (default 1). */
  minExpires?: number;
  /**
   * Acts as the proxy for calls too: an INVITE from an authenticated user to one of
   * these Request-URI users is record-routed and relayed to that address (a sipp
   * UAS); CANCEL, ACK and in-dialog requests follow it. Others get 404.
   */
  forward?: Record<string, { host: string; port: number }>;
  /**
   * An authenticated INVITE to a registered user (not in `forward`) is relayed to its binding:
   * lookup("location") rewrites the Request-URI to the registered contact, record-routed.
   */
  lookup?: boolean;
  /** Listens on TCP too (port `tcpPort`, the UDP port's number when free). */
  tcp?: boolean;
  /** Listens on TLS (port `tlsPort`) with this certificate and key (PEM files); kamailio-tls-modules. */
  tls?: { cert: string; key: string };
  /** Upgrades HTTP to SIP over WebSocket on port `wsPort` (and WSS on the TLS port); kamailio-websocket-modules. */
  ws?: boolean;
}

export interface KamailioPorts { udp: number; tcp?: number; tls?: number; ws?: number }

const KAMAILIO = '/usr/sbin/kamailio';
const KAMCMD = '/usr/sbin/kamcmd';
const HINT = 'Debian package kamailio';
const SAFE = /^[\w.@-]+$/;

function tlsConfig(tls: { cert: string; key: string }): string {
  return `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = ${tls.key}
certificate = ${tls.cert}

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
`;
}

function config(opts: KamailioOptions, ports: KamailioPorts, dir: string): string {
  const port = ports.udp;
  for (const value of [opts.domain, ...opts.users.flatMap((u) => [u.username, u.authUsername ?? u.username, u.password])]) {
    if (!SAFE.test(value)) throw new Error(`kamailio fixture: "${value}" needs quoting this fixture does not do`);
  }
  const forwards = Object.entries(opts.forward ?? {}).map(([user, to]) => {
    if (!SAFE.test(user) || !SAFE.test(to.host)) throw new Error(`kamailio fixture: "${user}" needs quoting this fixture does not do`);
    return `    if ($rU == "${user}") { $du = "sip:${to.host}:${to.port}"; record_route(); t_relay(); exit; }`;
  }).join('\n');
  const users = opts.users.map((u) =>
    `  if ($au == "${u.authUsername ?? u.username}") { $var(pw) = "${u.password}"; $var(user) = "${u.username}"; }`).join('\n');
  return `#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:${port}
${ports.tcp ? `listen=tcp:127.0.0.1:${ports.tcp}` : ''}
${ports.tls ? `enable_tls=yes\nlisten=tls:127.0.0.1:${ports.tls}` : ''}
${ports.ws ? `listen=tcp:127.0.0.1:${ports.ws}\ntcp_accept_no_cl=yes` : ''}
alias="${opts.domain}"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
${ports.tls ? `loadmodule "tls.so"\nmodparam("tls", "config", "${dir}/tls.cfg")` : ''}
${ports.ws ? 'loadmodule "xhttp.so"\nloadmodule "websocket.so"' : ''}
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "ctl.so"
loadmodule "rr.so"
loadmodule "siputils.so"
modparam("ctl", "binrpc", "unix:${dir}/ctl.sock")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", ${opts.minExpires ?? 1})
modparam("registrar", "min_expires_mode", 1)
request_route {
  xlog("L_NOTICE", "portier-test: $rm $ru from $fu via $si:$sp contact $ct expires $hdr(Expires) proto $pr\\n");
  if (has_body("application/sdp")) { xlog("L_NOTICE", "portier-test-sdp: $rm proto $pr $(rb{line.sw,m=audio}) $(rb{line.sw,a=crypto})\\n"); }
  if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  if (has_totag()) {
    if (is_method("ACK") && !loose_route()) { if (t_check_trans()) { t_relay(); } exit; }
    loose_route();
    t_relay();
    exit;
  }
  if (!is_method("REGISTER|INVITE")) { sl_send_reply("404", "Not Found"); exit; }
  $var(pw) = "";
  $var(user) = "";
${users}
  if (is_method("INVITE")) {
    if ($var(pw) == "" || !pv_auth_check("$fd", "$var(pw)", "0", "0")) { auth_challenge("$fd", "1"); exit; }
    if ($fU != $var(user)) { sl_send_reply("403", "Forbidden"); exit; }
    consume_credentials();
${forwards}
${opts.lookup ? '    if (lookup("location")) { record_route(); t_relay(); exit; }' : ''}
    sl_send_reply("404", "Not Found");
    exit;
  }
  if ($var(pw) == "" || !pv_auth_check("$fd", "$var(pw)", "0", "0")) { auth_challenge("$fd", "1"); exit; }
  if ($tU != $var(user)) { sl_send_reply("403", "Forbidden"); exit; }
  consume_credentials();
  if (!save("location")) { sl_reply_error(); }
  exit;
}
${ports.ws ? `event_route[xhttp:request] {
  xlog("L_NOTICE", "portier-test-ws: $rm $hu upgrade $hdr(Upgrade) protocol $hdr(Sec-WebSocket-Protocol) proto $pr\\n");
  if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade" && $rm =~ "GET") {
    if (ws_handle_handshake()) { exit; }
  }
  xhttp_reply("404", "Not Found", "", "");
}` : ''}
event_route[sl:filtered-ack] {
  xlog("L_NOTICE", "portier-test-sl-ack: $rm $ru from $fu via $si:$sp proto $pr\\n");
}
onreply_route {
  xlog("L_NOTICE", "portier-test-reply: $rs $rm proto $pr\\n");
  if (has_body("application/sdp")) { xlog("L_NOTICE", "portier-test-sdp: $rs proto $pr $(rb{line.sw,m=audio}) $(rb{line.sw,a=crypto})\\n"); }
}
`;
}

export class Kamailio {
  readonly port: number;
  /** TCP and TLS ports when asked for (KamailioOptions.tcp/tls). */
  readonly tcpPort?: number;
  readonly tlsPort?: number;
  /** The WebSocket port when asked for (KamailioOptions.ws). */
  readonly wsPort?: number;
  readonly dir: string;
  /** Everything Kamailio wrote to stderr (its log), across restarts. */
  log = '';
  #child?: ChildProcess;
  #logWaiters: Array<() => void> = [];

  private constructor(ports: KamailioPorts, dir: string) {
    this.port = ports.udp;
    this.tcpPort = ports.tcp;
    this.tlsPort = ports.tls;
    this.wsPort = ports.ws;
    this.dir = dir;
  }

  static async start(opts: KamailioOptions): Promise<Kamailio> {
    requireExecutable(KAMAILIO, HINT);
    const dir = mkdtempSync(join(tmpdir(), 'portier-kamailio-'));
    const ports: KamailioPorts = {
      udp: await freePort(), tcp: opts.tcp ? await freePort() : undefined, tls: opts.tls ? await freePort() : undefined,
      ws: opts.ws ? await freePort() : undefined,
    };
    if (opts.tls) writeFileSync(join(dir, 'tls.cfg'), tlsConfig(opts.tls));
    writeFileSync(join(dir, 'kamailio.cfg'), config(opts, ports, dir));
    const kamailio = new Kamailio(ports, dir);
    await kamailio.#spawn();
    return kamailio;
  }

  get running(): boolean { return this.#child !== undefined; }
  get pid(): number | undefined { return this.#child?.pid; }

  /** Starts the process and resolves once its control socket listens (the UDP socket is bound before that). */
  #spawn(): Promise<void> {
    const child = spawn(KAMAILIO, ['-f', join(this.dir, 'kamailio.cfg'), '-DD', '-E', '-Y', this.dir, '-m', '32', '-M', '4'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    return new Promise((resolve, reject) => {
      let seen = '';
      const onData = (data: Buffer) => {
        this.log += data.toString();
        for (const wake of this.#logWaiters.splice(0)) wake();
        seen += data.toString();
        if (seen.includes('io_listen_loop')) { child.off('close', onExit); resolve(); }
      };
      const onExit = (code: number | null) => {
        this.#child = undefined;
        reject(new Error(`kamailio exited (${code}) before it listened:\n${seen.slice(-2000)}`));
      };
      child.stderr!.on('data', onData);
      // 'close', not 'exit': the message quotes its last stderr lines (why it stopped), which may be unread at the exit.
      child.once('close', onExit);
      child.once('exit', () => { if (this.#child === child) this.#child = undefined; });
    });
  }

  /** Stops Kamailio by its PID and waits for it to exit (its children exit with it). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    this.#child = undefined;
  }

  /** Stops and starts it again on the same port: every registration is gone (usrloc in memory). */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  /** Runs a kamcmd command on the control socket; resolves with its output. */
  kamcmd(...args: string[]): Promise<{ ok: boolean; output: string }> {
    requireExecutable(KAMCMD, HINT);
    return new Promise((resolve) => {
      execFile(KAMCMD, ['-s', `unix:${join(this.dir, 'ctl.sock')}`, ...args], (error, stdout, stderr) => {
        resolve({ ok: !error, output: stdout + stderr });
      });
    });
  }

  /** The contact URIs registered for a user (usrloc's AoR is the user part). */
  async contacts(username: string): Promise<string[]> {
    const { ok, output } = await this.kamcmd('ul.lookup', 'location', username);
    if (!ok) return [];
    return [...output.matchAll(/Address:\s*(\S+)/g)].map((m) => m[1]!);
  }

  /** The audio m-line and first a=crypto line of each SDP it received, replies included ('<method or status> proto <proto> m=… a=…'). */
  sdp(): string[] {
    return this.log.split('\n').filter((l) => l.includes('portier-test-sdp: ')).map((l) => l.slice(l.indexOf('portier-test-sdp: ') + 'portier-test-sdp: '.length));
  }

  /** Log lines of the requests it received (the cfg's xlog). */
  requests(method?: string): string[] {
    return this.log.split('\n').filter((l) => l.includes('portier-test: ') && (!method || l.includes(`portier-test: ${method} `)));
  }

  /**
   * Log lines of the ACKs its sl module absorbed ('ACK <Request-URI> from <From> via <source> proto <proto>'): ACKs of
   * its own stateless replies (a 407 …) within 2 s of its latest one (SL_RPL_WAIT_TIME); a later one passes to the
   * script and is among requests('ACK'). Logged by event_route[sl:filtered-ack] as sl absorbs them. Not sl's statistic
   * received_ACKs: Kamailio sums that at most once a second in the process that reads it (sl_stats.c sl_stats_update),
   * so a read within the same second as the one before returns the old sum although the ACK was absorbed.
   */
  absorbedAcks(): string[] {
    const marker = 'portier-test-sl-ack: ';
    return this.log.split('\n').filter((l) => l.includes(marker)).map((l) => l.slice(l.indexOf(marker) + marker.length));
  }

  /** Resolves once `n` requests of the method are logged (waits for Kamailio's log, no polling). */
  async sawRequests(method: string, n: number): Promise<number> {
    while (this.requests(method).length < n) await new Promise<void>((resolve) => this.#logWaiters.push(resolve));
    return this.requests(method).length;
  }

  /**
   * Resolves once `check` holds on the log read so far (looked at again as each piece of the log comes; no polling).
   * Kamailio's log reaches the test on a pipe of its own: what the other side did (a UA's event, the gateway's state,
   * an answer) may reach the test first, so a line is awaited, never read at once after such an event.
   */
  async seen(check: () => boolean, timeoutMs = 30_000): Promise<void> {
    // A bound against a hang, not a figure: the failure quotes the log's end instead of a bare test timeout.
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Kamailio's log: the awaited line did not come within ${timeoutMs} ms; its end:\n${this.log.slice(-1500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#logWaiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Log lines of the replies it relayed ('<status> <method> proto <proto>'), logged before it sends them on. */
  replies(status?: number, method?: string): string[] {
    const marker = 'portier-test-reply: ';
    return this.log.split('\n').filter((l) => l.includes(marker)).map((l) => l.slice(l.indexOf(marker) + marker.length))
      .filter((l) => (status === undefined || l.startsWith(`${status} `)) && (!method || l.includes(` ${method} `)));
  }

  /** Resolves once `n` replies of that status to the method are logged (waits for Kamailio's log, no polling). */
  async sawReplies(status: number, method: string, n: number): Promise<number> {
    while (this.replies(status, method).length < n) await new Promise<void>((resolve) => this.#logWaiters.push(resolve));
    return this.replies(status, method).length;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
