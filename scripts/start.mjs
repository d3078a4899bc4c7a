// `npm start` and `npm run portier`: builds the server bundle if the sources changed
// (scripts/lib/build-server.mjs), then runs it under the pinned Node with the project's
// worker and SERVER_NODE_FLAGS. Arguments go to the gateway (`start`, `check-config`, --config).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nodeBin, projectEnv, workerBinPath, root } from './lib/runtime.mjs';
import { ensureServerBundle, SERVER_NODE_FLAGS } from './lib/build-server.mjs';

for (const [what, path] of [['Node runtime', nodeBin], ['mediasoup worker', workerBinPath()]]) {
  if (!existsSync(path)) {
    console.error(`portier: ${what} missing at ${path}; run \`npm run setup\` first.`);
    process.exit(1);
  }
}
let main;
try {
  ({ main } = ensureServerBundle());
} catch (error) {
  // e.g. a systemd unit that may not write to the checkout after src/ changed
  console.error(`portier: cannot build the server bundle under .build/ (${error.code ?? error.message}); run \`npm run setup\` after changing src/.`);
  process.exit(1);
}
// The gateway runs in a process group of its own: a terminal's Ctrl-C (SIGINT to the foreground group) reaches
// npm and this script, which pass it on — not the gateway's mediasoup workers, which would close themselves on
// it and end every running call before the gateway drains them. A service manager signals this script (the
// shipped unit: KillMode=mixed), which passes that on too.
const child = spawn(nodeBin, [...SERVER_NODE_FLAGS, main, ...process.argv.slice(2)], { cwd: root, env: projectEnv(), stdio: 'inherit', detached: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (error) => {
  console.error(`portier: cannot run the gateway: ${error.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
