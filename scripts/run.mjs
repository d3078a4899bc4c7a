// Runs a project command under the pinned Node runtime with the offline-built
// mediasoup worker: `node scripts/run.mjs <command> [args...]`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nodeBin, projectEnv, workerBinPath, root } from './lib/runtime.mjs';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/run.mjs <command> [args...]');
  process.exit(64);
}
for (const [what, path] of [['Node runtime', nodeBin], ['mediasoup worker', workerBinPath()]]) {
  if (!existsSync(path)) {
    console.error(`portier: ${what} missing at ${path}; run \`npm run setup\` first.`);
    process.exit(1);
  }
}

const child = spawn(command, args, { cwd: root, env: projectEnv(), stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (error) => {
  console.error(`portier: cannot run ${command}: ${error.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
