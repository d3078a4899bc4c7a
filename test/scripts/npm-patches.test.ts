// The project's patches to installed npm packages (scripts/lib/npm-patches.mjs), applied
// by `npm run setup`: the installed files carry them, the patched code behaves as before
// minus the waste, and a patch that no longer fits stops setup by name.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Grammar } from 'sip.js';
import { duplexPair } from 'node:stream';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { NPM_PATCHES, applyNpmPatches, patchedFile } from '../../scripts/lib/npm-patches.mjs';

/** How often the function ran String#split('') (sip.js's bytecode decoder splits each rule's string into characters). */
function charSplits(run: () => void): number {
  const split = String.prototype.split;
  let count = 0;
  String.prototype.split = function (this: string, ...args: any[]) {
    if (args[0] === '') count++;
    return (split as any).apply(this, args);
  } as typeof split;
  try { run(); } finally { String.prototype.split = split; }
  return count;
}

/**
 * mqtt-packet, loaded fresh in a child process whose `debug` package counts the calls of the
 * debug functions it hands out, writes a PUBLISH and parses it back: those calls, and packets parsed.
 */
function mqttPacketDebugCalls(env: Record<string, string>): { calls: number; parsed: number } {
  const probe = `
    const { dirname } = require('node:path');
    const id = require.resolve('debug', { paths: [dirname(require.resolve('mqtt-packet'))] });
    const real = require(id);
    let calls = 0;
    const counting = (ns) => {
      const d = real(ns);
      const f = (...args) => { calls++; return d(...args); };
      Object.defineProperty(f, 'enabled', { get: () => d.enabled });
      return f;
    };
    require.cache[id].exports = Object.assign(counting, real);
    const mqtt = require('mqtt-packet');
    const stream = new (require('node:stream').PassThrough)();
    const parser = mqtt.parser();
    let parsed = 0;
    parser.on('packet', () => parsed++);
    stream.on('data', (d) => parser.parse(d));
    mqtt.writeToStream({ cmd: 'publish', topic: 'portier/hq/sensor-1/event', payload: Buffer.from('{}'), qos: 1, messageId: 7, retain: false, dup: false }, stream);
    setImmediate(() => process.stdout.write(JSON.stringify({ calls, parsed })));
  `;
  const { DEBUG: _, ...rest } = process.env;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { env: { ...rest, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { calls: number; parsed: number };
}

/** A node_modules folder holding one package file of the given text. */
function fakeModules(patch: (typeof NPM_PATCHES)[number], text: string, version = patch.version): string {
  const dir = mkdtempSync(join(tmpdir(), 'portier-npm-patches-'));
  const file = patchedFile(patch, dir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  writeFileSync(join(dir, patch.package, 'package.json'), JSON.stringify({ name: patch.package, version }));
  return dir;
}

describe('npm patches', () => {
  it('setup applied every patch to the installed packages', () => {
    for (const patch of NPM_PATCHES) expect(readFileSync(patchedFile(patch), 'utf8'), patch.name).toContain(patch.marker);
  });

  it('sip.js parses a header without decoding its grammar\'s bytecode again, with the same result', () => {
    const via = 'SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK-776asdhds;rport;received=198.51.100.7';
    let parsed: any;
    // Unpatched, every Grammar.parse decoded all 235 rules of the table first (235 splits per header).
    expect(charSplits(() => { parsed = Grammar.parse(via, 'Via'); })).toBe(0);
    expect(parsed).toMatchObject({ protocol: 'SIP', transport: 'UDP', host: '192.0.2.1', port: 5070, branch: 'z9hG4bK-776asdhds', received: '198.51.100.7' });
    expect(String(Grammar.nameAddrHeaderParse('"Ada K\\"önig" <sip:ada@example.com;transport=tcp>;tag=x1'))).toBe('"Ada K\\"önig" <sip:ada@example.com;transport=tcp>;tag=x1');
    expect(Grammar.parse('sip:+4930123@pbx.example.com:5061;user=phone', 'SIP_URI')).toMatchObject({ user: '+4930123', host: 'pbx.example.com', port: 5061 });
    expect(Grammar.parse('not a via', 'Via')).toBe(-1);
  });

  it('mqtt-packet writes and parses a PUBLISH without calling debug() while its namespace is off, and still logs with DEBUG=mqtt-packet:*', () => {
    // Unpatched: 53 calls for this one packet (writing and parsing it).
    expect(mqttPacketDebugCalls({})).toEqual({ calls: 0, parsed: 1 });
    expect(mqttPacketDebugCalls({ DEBUG: 'mqtt-packet:*' }).calls).toBeGreaterThan(0);
  });

  it('aedes writes a QoS 0 delivery while the message is published, in the packet its subscription made', async () => {
    const broker = new Aedes();
    await broker.listen();
    const [brokerSide, clientSide] = duplexPair();
    try {
      broker.handle(brokerSide);
      const parser = mqttPacket.parser();
      clientSide.on('data', (d: Buffer) => parser.parse(d));
      const suback = once(parser, 'packet', { signal: AbortSignal.timeout(5_000) }); // the CONNACK
      clientSide.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'sub', keepalive: 0 }));
      await suback;
      const subscribed = once(parser, 'packet', { signal: AbortSignal.timeout(5_000) });
      clientSide.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'portier/#', qos: 0 }] }));
      await subscribed;
      await new Promise((resolve) => setImmediate(resolve)); // the subscription is in the emitter
      let written = 0;
      const write = brokerSide.write.bind(brokerSide);
      brokerSide.write = ((...args: Parameters<typeof write>) => { written++; return write(...args); }) as typeof brokerSide.write;
      const delivered = once(parser, 'packet', { signal: AbortSignal.timeout(5_000) });
      broker.publish({ cmd: 'publish', topic: 'portier/hq/sensor-1/event', payload: Buffer.from('{}'), qos: 0, retain: false, dup: false }, () => {});
      // Unpatched: nothing yet — the delivery waited for a setImmediate of its own.
      expect(written).toBeGreaterThan(0);
      const [packet] = await delivered as [{ topic: string; payload: Buffer; qos: number }];
      expect({ topic: packet.topic, payload: packet.payload.toString(), qos: packet.qos }).toEqual({ topic: 'portier/hq/sensor-1/event', payload: '{}', qos: 0 });
    } finally {
      clientSide.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
  });

  it('applying twice changes nothing; a text the patch does not fit or another version stops with the patch\'s name', () => {
    for (const patch of NPM_PATCHES) {
      const installed = readFileSync(patchedFile(patch), 'utf8');
      const dirs = [fakeModules(patch, installed), fakeModules(patch, 'export function peg$parse() {}\n'), fakeModules(patch, installed, '0.0.0-other')];
      try {
        expect(applyNpmPatches(dirs[0], [patch])).toEqual([`${patch.name}: already applied`]);
        expect(readFileSync(patchedFile(patch, dirs[0]), 'utf8')).toBe(installed);
        expect(() => applyNpmPatches(dirs[1], [patch])).toThrow(`npm patch '${patch.name}' does not fit`);
        expect(() => applyNpmPatches(dirs[2], [patch])).toThrow(`npm patch '${patch.name}' was written for ${patch.package} ${patch.version}, installed is 0.0.0-other`);
      } finally {
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('moves the bytecode table to the module unchanged and leaves the rest of peg$parse as it was', () => {
    const grammar = NPM_PATCHES.find((p) => p.package === 'sip.js')!;
    const original = [
      'import { URI } from "../../uri.js";', 'function peg$parse(input, options) {', '    const peg$consts = [', '        function () { return options; }', '    ];',
      '    const peg$bytecode = [', '        peg$decode("!7\\""),', '        peg$decode("%;!/#$+\\")")', '    ];', '    let peg$currPos = 0;',
      '    function peg$decode(s) {', '        return s.split("").map((ch) => ch.charCodeAt(0) - 32);', '    }', '    return peg$bytecode.length + peg$currPos;', '}', '',
    ].join('\n');
    const patched: string = grammar.apply(original)!;
    expect(patched.split('\n')).toEqual([
      'import { URI } from "../../uri.js";', grammar.marker, 'function peg$decode(s) {', '    return s.split("").map((ch) => ch.charCodeAt(0) - 32);', '}',
      'const peg$bytecode = [', '    peg$decode("!7\\""),', '    peg$decode("%;!/#$+\\")")', '];',
      'function peg$parse(input, options) {', '    const peg$consts = [', '        function () { return options; }', '    ];', '    let peg$currPos = 0;',
      '    function peg$decode(s) {', '        return s.split("").map((ch) => ch.charCodeAt(0) - 32);', '    }', '    return peg$bytecode.length + peg$currPos;', '}', '',
    ]);
    // A table that is not data only (it names the parse's state) is not moved.
    expect(grammar.apply(original.replace('peg$decode("!7\\""),', 'peg$decode("!7\\""), peg$currPos,'))).toBeUndefined();
  });
});
