// The project's patches to installed npm packages (scripts/lib/npm-patches.mjs), applied
// by `npm run setup`: the installed files carry them, the patched code behaves as before
// minus the waste, and a patch that no longer fits stops setup by name.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Grammar } from 'sip.js';
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

  it('applying twice changes nothing; a text the patch does not fit or another version stops with the patch\'s name', () => {
    const grammar = NPM_PATCHES.find((p) => p.package === 'sip.js')!;
    const installed = readFileSync(patchedFile(grammar), 'utf8');
    const dirs = [fakeModules(grammar, installed), fakeModules(grammar, 'export function peg$parse() {}\n'), fakeModules(grammar, installed, '0.21.3')];
    try {
      expect(applyNpmPatches(dirs[0])).toEqual([`${grammar.name}: already applied`]);
      expect(readFileSync(patchedFile(grammar, dirs[0]), 'utf8')).toBe(installed);
      expect(() => applyNpmPatches(dirs[1])).toThrow(`npm patch '${grammar.name}' does not fit`);
      expect(() => applyNpmPatches(dirs[2])).toThrow(`npm patch '${grammar.name}' was written for sip.js 0.21.2, installed is 0.21.3`);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
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
