// A mediasoup worker held in the middle of the gateway's start, for tests of a signal during it: MEDIASOUP_WORKER_BIN
// (read by main.ts) points to a script that runs the real worker, whose messages reach the gateway at once
// (so mediasoup's 'running' arrives, createWorker resolves and its signal handlers are detached, worker-slot.ts), but
// holds the gateway's requests (the first: createWebRtcServer) until the test releases them. `held` resolves once the
// first request is held: the start is then under way and cannot finish before release().
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireWorkerBin } from './tools.ts';

// The worker must keep the pid mediasoup spawned (its 'running' notification names it): a shell script starts the
// holder in the background on the gateway's request pipe (fd 3) and execs the real worker reading a FIFO the holder fills.
const SCRIPT = `#!/bin/sh
rm -f "$HELD_WORKER_DIR/channel" && mkfifo "$HELD_WORKER_DIR/channel" || exit 1
"$HELD_WORKER_NODE" "$HELD_WORKER_DIR/holder.cjs" <&3 3<&- 4>&- &
exec "$HELD_WORKER_REAL_BIN" "$@" 3<"$HELD_WORKER_DIR/channel"
`;
const HOLDER = `const fs = require('node:fs');
const control = require('node:net').connect(process.env.HELD_WORKER_SOCKET);
const channel = fs.createWriteStream(process.env.HELD_WORKER_DIR + '/channel');
let released = false;
const held = [];
process.stdin.on('data', (d) => { if (released) { channel.write(d); return; } if (held.length === 0) control.write('held\\n'); held.push(d); });
process.stdin.on('end', () => { channel.end(); control.destroy(); });
control.on('data', () => { released = true; for (const d of held.splice(0)) channel.write(d); });
control.on('error', () => {});
channel.on('error', () => process.exit(0));`;

export interface HeldWorker {
  /** Environment for spawnGateway. */
  env: Record<string, string>;
  /** Resolves once the gateway's first request to its worker is held. */
  held: Promise<void>;
  /** Passes the held requests on and all later ones: the start goes on. */
  release: () => void;
  close: () => void;
}

/** `dir`: a directory of the test's own for the relay script and its socket. */
export async function heldWorker(dir: string): Promise<HeldWorker> {
  const realBin = requireWorkerBin();
  const bin = join(dir, 'held-worker');
  writeFileSync(bin, SCRIPT);
  chmodSync(bin, 0o755);
  writeFileSync(join(dir, 'holder.cjs'), HOLDER);
  const socketPath = join(dir, 'hold.sock');
  const server = createServer();
  const connection = once(server, 'connection') as Promise<[Socket]>;
  server.listen(socketPath);
  await once(server, 'listening');
  const held = connection.then(([socket]) => once(socket, 'data').then(() => undefined));
  return {
    env: { MEDIASOUP_WORKER_BIN: bin, HELD_WORKER_REAL_BIN: realBin, HELD_WORKER_SOCKET: socketPath, HELD_WORKER_DIR: dir, HELD_WORKER_NODE: process.execPath },
    held,
    release: () => { void connection.then(([socket]) => socket.write('go\n')); },
    close: () => { void connection.then(([socket]) => socket.destroy()); server.close(); },
  };
}
