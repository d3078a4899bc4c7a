// Tests that need a program on this machine check for it and fail loudly when
// setup (or .ci/run) did not install it, instead of skipping silently.
import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';

export function requireExecutable(path: string, installHint: string): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    throw new Error(`${path} is missing: ${installHint} (npm run setup installs it)`);
  }
}

export function requireOnPath(name: string, installHint: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is not on PATH: ${installHint} (npm run setup installs it)`);
  }
}

export function requireWorkerBin(): string {
  const bin = process.env.MEDIASOUP_WORKER_BIN;
  if (!bin) throw new Error('MEDIASOUP_WORKER_BIN is not set: run tests with `npm test` after `npm run setup`');
  return requireExecutable(bin, 'the mediasoup worker is built by `npm run setup`');
}
