// baresip (Debian baresip-core 1.0, avcodec from baresip-ffmpeg) as a real SIP user
// agent for tests: a fresh config directory per instance (only 127.0.0.1, no
// sound card: ALSA's default PCM is the null device, the microphone is a WAV the
// harness writes), started once per test file, driven over ctrl_tcp (netstring
// JSON commands and events) and stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireExecutable } from './tools.ts';
import { freePort, freePorts } from './ports.ts';

const BARESIP = '/usr/bin/baresip';
const MODULES = '/usr/lib/baresip/modules';
const HINT = 'Debian packages baresip-core and baresip-ffmpeg';

/** An event baresip reports over ctrl_tcp (UA_EVENT_*: CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, CALL_RTCP …). */
export interface BaresipEvent {
  type: string;
  class?: string;
  id?: string;
  peeruri?: string;
  param?: string;
  direction?: string;
  accountaor?: string;
  /** With CALL_RTCP: what the far end's RTCP reports (rx/tx packet counts, lost, jitter). */
  rtcp_stats?: { tx?: { sent?: number; lost?: number }; rx?: { sent?: number; lost?: number } };
  [key: string]: unknown;
}

export interface BaresipOptions {
  /** The account line's AOR, e.g. `sip:hotline@127.0.0.1` (no registration) or `sip:door@127.0.0.1:5070`. */
  aor: string;
  /** `;key=value` parameters after the AOR (auth_pass, regint, answermode …). */
  accountParams?: Record<string, string | number>;
  /** Send video: fakevideo through avcodec's H.264 encoder (packetization mode as configured by avcodec_h264enc). */
  video?: boolean;
  /** Load the srtp module (SDES keys; the account's `mediaenc` parameter says srtp or srtp-mand). */
  srtp?: boolean;
  /**
   * The audio codecs it offers and accepts, in order (the account's audio_codecs: `opus/48000/2`, `PCMU`, `PCMA`);
   * opus loads the opus module. Default: G.711 (PCMU, PCMA).
   */
  audioCodecs?: readonly string[];
  /** PEM file of the CA a TLS server's certificate chains to (sip_cafile; for `;transport=tls` accounts). */
  cafile?: string;
}

interface Pending { resolve: (data: { ok: boolean; data: string }) => void; reject: (error: Error) => void }

/** Starts tried when another process holds the chosen port (see Baresip.start). */
const START_ATTEMPTS = 5;
/** How long a wait for baresip (an event, a log line) may take before it fails by name: a bound against a hang. */
const WAIT_MS = 60_000;

export class Baresip {
  readonly sipPort: number;
  readonly dir: string;
  /** Every event reported so far, in order. */
  readonly events: BaresipEvent[] = [];
  output = '';
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #ended = false;
  #ctrl?: Socket;
  #buffer = Buffer.alloc(0);
  #token = 0;
  readonly #pending = new Map<string, Pending>();
  readonly #waiters = new Set<() => void>();

  private constructor(sipPort: number, dir: string, child: ChildProcess) {
    this.sipPort = sipPort;
    this.dir = dir;
    this.#child = child;
    // 'close', not 'exit': ended once its output is read too (Node may report the exit before the last of it);
    // start's retry looks for 'Address already in use' in `output` after a failed start.
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));
    const collect = (d: Buffer) => { this.output += d.toString(); this.#wake(); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    void this.#exited.then(() => { this.#ended = true; this.#wake(); });
  }

  get pid(): number | undefined { return this.#child.pid; }

  /**
   * Starts baresip with a fresh config; resolves once it said it is ready and ctrl_tcp is connected.
   * Its SIP port is free for UDP when chosen, but baresip also binds TCP and TLS there: a parallel
   * test file can hold that TCP port ("Address already in use"), then it starts again on new ports
   * (at most START_ATTEMPTS times; any other failure is thrown at once).
   */
  static async start(opts: BaresipOptions): Promise<Baresip> {
    requireExecutable(BARESIP, HINT);
    for (let attempt = 1; ; attempt++) {
      // libre binds UDP and TCP on the SIP port and TLS on the one above it.
      const [sipPort] = await freePorts(2) as [number, number];
      const ctrlPort = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'portier-baresip-'));
      writeConfig(dir, opts, sipPort, ctrlPort);
      const child = spawn(BARESIP, ['-f', dir], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
      const baresip = new Baresip(sipPort, dir, child);
      try {
        await baresip.#until(() => baresip.output.includes('baresip is ready.'), 'baresip is ready');
        await baresip.#connect(ctrlPort);
        return baresip;
      } catch (error) {
        await baresip.close();
        if (attempt >= START_ATTEMPTS || !baresip.output.includes('Address already in use')) throw error;
      }
    }
  }

  /** Sends a ctrl_tcp command (a menu command: dial, hangup, accept, sndcode …) and resolves with its response. */
  command(command: string, params = ''): Promise<{ ok: boolean; data: string }> {
    const token = String(++this.#token);
    const body = Buffer.from(JSON.stringify({ command, params, token }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(new Error(`baresip: no answer to ${command} within ${WAIT_MS} ms\n${this.output.slice(-2000)}`));
      }, WAIT_MS);
      const settle = <T>(then: (value: T) => void) => (value: T) => { clearTimeout(timer); then(value); };
      this.#pending.set(token, { resolve: settle(resolve), reject: settle(reject) });
      this.#ctrl!.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]));
    });
  }

  /** Resolves with the first event (from `from` on) of this type that matches. */
  async event(type: string, match: (e: BaresipEvent) => boolean = () => true, from = 0): Promise<BaresipEvent> {
    let found: BaresipEvent | undefined;
    await this.#until(() => {
      found = this.events.slice(from).find((e) => e.type === type && match(e));
      return found !== undefined;
    }, `baresip event ${type}`);
    return found!;
  }

  /** Bytes of what baresip decoded from the far end, recorded by sndfile (the `-dec.wav` files, headers included). */
  receivedAudioBytes(): number {
    const rec = join(this.dir, 'rec');
    return readdirSync(rec).filter((f) => f.endsWith('-dec.wav')).reduce((sum, f) => sum + statSync(join(rec, f)).size, 0);
  }

  /** Resolves once `check` holds; re-checked on every event and output of baresip, fails when it exits. */
  #until(check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const stop = (error?: Error) => {
        clearTimeout(timer);
        this.#waiters.delete(test);
        if (error) reject(error); else resolve();
      };
      const test = () => {
        if (check()) { stop(); return; }
        if (this.#ended) stop(new Error(`baresip exited before: ${what}\n${this.output.slice(-3000)}`));
      };
      // A bound against a hang, not a figure: the failure names what never came and what baresip said last.
      const timer = setTimeout(() => stop(new Error(
        `baresip: no ${what} within ${timeoutMs} ms; its last events: ${this.events.slice(-8).map((e) => e.type).join(', ')}\n${this.output.slice(-2000)}`)), timeoutMs);
      this.#waiters.add(test);
      test();
    });
  }

  #wake(): void { for (const w of [...this.#waiters]) w(); }

  async #connect(port: number): Promise<void> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.on('data', (d: Buffer) => this.#read(d));
    socket.on('error', () => undefined);
    this.#ctrl = socket;
  }

  /** netstring framing: `<length>:<json>,`. */
  #read(data: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, data]);
    for (;;) {
      const colon = this.#buffer.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.#buffer.subarray(0, colon).toString());
      if (this.#buffer.length < colon + 1 + length + 1) return;
      const message = JSON.parse(this.#buffer.subarray(colon + 1, colon + 1 + length).toString()) as Record<string, unknown>;
      this.#buffer = this.#buffer.subarray(colon + 1 + length + 1);
      if (message.response) {
        const token = String(message.token);
        this.#pending.get(token)?.resolve({ ok: message.ok === true, data: String(message.data ?? '') });
        this.#pending.delete(token);
      } else if (message.event) {
        this.events.push(message as BaresipEvent);
      }
      this.#wake();
    }
  }

  /** Kills baresip at once (SIGKILL: no un-REGISTER, the kernel closes its sockets) and waits for its exit. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) process.kill(this.#child.pid!, 'SIGKILL');
    await this.#exited;
  }

  async close(): Promise<void> {
    this.#ctrl?.destroy();
    for (const p of this.#pending.values()) p.reject(new Error('baresip closed'));
    this.#pending.clear();
    if (this.#child.exitCode === null && this.#child.signalCode === null) process.kill(this.#child.pid!, 'SIGTERM');
    await this.#exited;
    this.#waiters.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}


/** A 440 Hz tone, S16LE mono at 8 kHz (G.711's rate) — or at `rate` in `channels` (opus: 48 kHz stereo) —, as baresip's microphone (aufile). */
export function toneWav(seconds = 30, rate = 8000, channels = 1): Buffer {
  const frames = seconds * rate;
  const bytes = frames * channels * 2;
  const wav = Buffer.alloc(44 + bytes);
  wav.write('RIFF', 0); wav.writeUInt32LE(36 + bytes, 4); wav.write('WAVE', 8);
  wav.write('fmt ', 12); wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(channels, 22);
  wav.writeUInt32LE(rate, 24); wav.writeUInt32LE(rate * channels * 2, 28); wav.writeUInt16LE(channels * 2, 32); wav.writeUInt16LE(16, 34);
  wav.write('data', 36); wav.writeUInt32LE(bytes, 40);
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
    for (let c = 0; c < channels; c++) wav.writeInt16LE(sample, 44 + (i * channels + c) * 2);
  }
  return wav;
}

function writeConfig(dir: string, opts: BaresipOptions, sipPort: number, ctrlPort: number): void {
  const tone = join(dir, 'tone.wav');
  // aufile plays its WAV at the codec's rate only: opus's 48 kHz, G.711's 8 kHz.
  const opus = (opts.audioCodecs ?? []).some((c) => /^opus/i.test(c));
  const rate = opus ? 48000 : 8000;
  writeFileSync(tone, toneWav(30, rate, opus ? 2 : 1));
  mkdirSync(join(dir, 'rec'));
  const video = opts.video ?? false;
  const config = [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    'audio_player alsa,default',
    `audio_source aufile,${tone}`,
    'audio_alert alsa,default',
    `audio_srate ${rate}`,
    `audio_channels ${opus ? 2 : 1}`,
    'rtp_ports 44000-44999',
    'rtcp_mux no',
    ...(opts.cafile ? [`sip_cafile ${opts.cafile}`] : []),
    `module_path ${MODULES}`,
    ...(opus ? ['module opus.so'] : []),
    'module g711.so',
    'module aufile.so',
    'module alsa.so',
    'module sndfile.so',
    ...(video ? ['module fakevideo.so', 'module avcodec.so'] : []),
    ...(opts.srtp ? ['module srtp.so'] : []),
    'module rtcpsummary.so',
    'module ctrl_tcp.so',
    'module_app account.so',
    'module_app menu.so',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    `snd_path ${join(dir, 'rec')}`,
    ...(video ? ['video_source fakevideo,nil', 'video_display fakevideo,nil', 'video_size 320x240', 'video_bitrate 300000', 'video_fps 10'] : []),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'config'), config);
  const accountParams = { ...opts.accountParams, ...(opts.audioCodecs ? { audio_codecs: opts.audioCodecs.join(',') } : {}) };
  const params = Object.entries(accountParams).map(([k, v]) => `;${k}=${v}`).join('');
  writeFileSync(join(dir, 'accounts'), `<${opts.aor}>${params}\n`);
  writeFileSync(join(dir, 'contacts'), '');
  writeFileSync(join(dir, '.asoundrc'), 'pcm.!default { type null }\n');
}
