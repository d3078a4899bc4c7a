// Unit test of the libsrtp 3 compat header the worker build uses: compiled with
// g++ against Debian's libsrtp2, run, and its per-suite results checked.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOnPath } from '../support/tools.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('libsrtp 3 compat header on libsrtp2', () => {
  let dir: string;
  let results: Array<Record<string, unknown>>;

  beforeAll(() => {
    requireOnPath('g++', 'apt-get install g++');
    dir = mkdtempSync(join(tmpdir(), 'portier-srtp-'));
    const bin = join(dir, 'srtp-compat');
    execFileSync('g++', ['-std=c++20', '-Wall', '-Werror', '-I', join(ROOT, 'scripts', 'worker', 'compat'),
      join(import.meta.dirname, 'srtp-compat.cpp'), '-o', bin, '-lsrtp2'], { stdio: 'pipe' });
    results = execFileSync(bin, { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const suites = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'];
  const bufferSmall = () => results.at(-1)!.bufferSmallCode;

  for (const suite of suites) {
    it(`${suite}: RTP and RTCP protect → unprotect round trip, tampering and small buffers refused`, () => {
      const r = results.find((x) => x.suite === suite)!;
      expect(r).toMatchObject({
        created: true, changed: true, roundTrip: true, tamperRefused: true, rtcpRoundTrip: true, inPlace: true, exactBuffer: true,
        smallBufferError: bufferSmall(), rtcpSmallBufferError: bufferSmall(),
      });
      expect(r.trailer).toBe(suite.includes('GCM') ? 16 : suite.endsWith('32') ? 4 : 10);
    });
  }
});
