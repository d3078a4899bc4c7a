// Changes the project makes to installed npm packages, applied by `npm run setup` after
// `npm ci` (and again whenever npm ci ran). Each patch names the package version it was
// written for, changes the file by exact text (setup stops with a named error when the
// text is not there: a new version needs the patch looked at again) and leaves a marker,
// so applying it twice changes nothing. The server bundle keeps npm packages external,
// so the gateway, the tests and the benches all load the patched file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './runtime.mjs';

/**
 * sip.js 0.21.2's generated SIP grammar (peggy, bytecode interpreter) builds its whole
 * bytecode table — 235 rules, each decoded from a string — inside peg$parse, so every parse
 * decodes all of it again. sip.js parses each header of each message by a separate
 * Grammar.parse call (Via, From, To, CSeq, Contact …): the decoding was 1.5 s of the
 * gateway's 2.2 s of SIP parsing in bench/sip-post-dial.ts (200 calls), the gateway's
 * largest cost there. The table is data only (arrays of numbers, never written), so it is
 * built once at module level; the constants table next to it holds actions that close over
 * each parse's state and stays where it is. Upstream: this is peggy's output for
 * `output: "source"` with the bytecode generator of its older versions; sip.js would fix
 * it by regenerating the grammar with a current peggy (which emits plain functions).
 */
const grammarBytecodeOnce = {
  name: 'sip.js grammar: bytecode decoded once',
  package: 'sip.js',
  version: '0.21.2',
  file: 'lib/grammar/pegjs/dist/grammar.js',
  marker: '/* portier-patch: grammar bytecode decoded once (scripts/lib/npm-patches.mjs) */',
  apply(text) {
    const start = text.indexOf('\n    const peg$bytecode = [\n');
    const end = start < 0 ? -1 : text.indexOf('\n    ];\n', start);
    const parseAt = text.indexOf('\nfunction peg$parse(input, options) {\n');
    if (start < 0 || end < 0 || parseAt < 0 || parseAt > start) return undefined;
    const table = text.slice(start + 1, end + '\n    ];\n'.length);
    if (/peg\$(?!decode\()/.test(table.replaceAll('const peg$bytecode', ''))) return undefined; // anything but peg$decode("…") calls: not data only
    const moved = table.replace('    const peg$bytecode = [', 'const peg$bytecode = [').replaceAll('\n        peg$decode(', '\n    peg$decode(').replace(/\n {4}\];\n$/, '\n];\n');
    return `${text.slice(0, parseAt + 1)}${this.marker}\nfunction peg$decode(s) {\n    return s.split("").map((ch) => ch.charCodeAt(0) - 32);\n}\n${moved}${text.slice(parseAt + 1, start + 1)}${text.slice(end + '\n    ];\n'.length)}`;
  },
};

/**
 * mqtt-packet 9.0.2 calls `debug()` about 8 times per packet it writes and as often per
 * packet it parses. With the namespace off each call returns at once, but still costs the
 * call, a rest-arguments array and the `enabled` getter: 2.7 % of the hub's CPU under
 * bench/mqtt-throughput (docs/devices.md, "mqtt-packet's debug()"). The debug function is
 * kept only when its namespace is enabled when the module loads (DEBUG=mqtt-packet:* at
 * start still logs; enabling it later at run time no longer reaches mqtt-packet).
 * Upstream: the same two lines in mqtt-packet, or `if (debug.enabled)` around its calls.
 */
const mqttPacketQuietDebug = (file, namespace) => ({
  name: `mqtt-packet ${file}: debug() only when enabled`,
  package: 'mqtt-packet',
  version: '9.0.2',
  file,
  marker: '/* portier-patch: debug() only when enabled (scripts/lib/npm-patches.mjs) */',
  apply(text) {
    const line = `const debug = require('debug')('${namespace}')\n`;
    if (text.split(line).length !== 2) return undefined;
    return text.replace(line, `${this.marker}\nconst debugOn = require('debug')('${namespace}')\nconst debug = debugOn.enabled ? debugOn : function debugOff () {}\n`);
  },
});

/**
 * aedes 1.2.0 writes each QoS 0 delivery to a subscriber in a macrotask of its own
 * (`setImmediate`, "to clear stacks") and copies the packet there once more, though the
 * subscription already made a packet for this one delivery (every caller of deliverQoS0
 * hands over a fresh one). The write answers through another setImmediate (write.js), and
 * that is what clears the stack. The patch writes at once, in the delivery's own packet when
 * the forward hook handed it back (else in a copy, as before). The order of the deliveries
 * to a subscriber is the order of the emitter, as before; QoS 1 deliveries keep their
 * setImmediate. In Portier the bytes still leave at the end of the turn (write-batching.ts).
 * Upstream: the same change in aedes' lib/client.js (docs/devices.md, "aedes' QoS 0 delivery").
 */
const aedesQos0WrittenAtOnce = {
  name: 'aedes lib/client.js: a QoS 0 delivery written at once',
  package: 'aedes',
  version: '1.2.0',
  file: 'lib/client.js',
  marker: '/* portier-patch: a QoS 0 delivery written at once (scripts/lib/npm-patches.mjs) */',
  apply(text) {
    const before = [
      '      if (toForward) {',
      '        // Give nodejs some time to clear stacks, or we will see',
      '        // "Maximum call stack size exceeded" in a very high load',
      '        setImmediate(() => {',
      '          const packet = new Packet(toForward, broker)',
      '          packet.qos = 0',
      '          write(that, packet, function (err) {',
      '            that._onError(err)',
      "            cb() // don't pass the error here or it will be thrown by mqemitter",
      '          })',
      '        })',
      '      } else {',
    ].join('\n');
    const after = [
      '      if (toForward) {',
      `        ${this.marker}`,
      '        // write() answers through setImmediate, which clears the stack; every caller',
      '        // hands over a packet made for this delivery, so only another one is copied.',
      '        const packet = toForward === _packet ? _packet : new Packet(toForward, broker)',
      '        packet.qos = 0',
      '        write(that, packet, function (err) {',
      '          that._onError(err)',
      "          cb() // don't pass the error here or it will be thrown by mqemitter",
      '        })',
      '      } else {',
    ].join('\n');
    if (text.split(before).length !== 2) return undefined;
    return text.replace(before, after);
  },
};

export const NPM_PATCHES = [
  grammarBytecodeOnce,
  mqttPacketQuietDebug('parser.js', 'mqtt-packet:parser'),
  mqttPacketQuietDebug('writeToStream.js', 'mqtt-packet:writeToStream'),
  aedesQos0WrittenAtOnce,
];

/** Where a patch's file is installed. */
export const patchedFile = (patch, nodeModules = join(root, 'node_modules')) => join(nodeModules, patch.package, patch.file);

/** Applies every patch that is not applied yet; returns what it did. Throws naming the patch when one cannot be applied. */
export function applyNpmPatches(nodeModules = join(root, 'node_modules'), patches = NPM_PATCHES) {
  const did = [];
  for (const patch of patches) {
    const version = JSON.parse(readFileSync(join(nodeModules, patch.package, 'package.json'), 'utf8')).version;
    if (version !== patch.version) throw new Error(`npm patch '${patch.name}' was written for ${patch.package} ${patch.version}, installed is ${version}: look at the patch again (scripts/lib/npm-patches.mjs)`);
    const path = patchedFile(patch, nodeModules);
    const text = readFileSync(path, 'utf8');
    if (text.includes(patch.marker)) { did.push(`${patch.name}: already applied`); continue; }
    const patched = patch.apply(text);
    if (patched === undefined) throw new Error(`npm patch '${patch.name}' does not fit ${path}: look at the patch again (scripts/lib/npm-patches.mjs)`);
    writeFileSync(path, patched);
    did.push(`${patch.name}: applied`);
  }
  return did;
}
