// Benchmark helper, run as a child process: bare aedes 1.2 on a loopback port
// (in-memory, anonymous, noDelay like Portier), with aedes' default emitter or
// with Portier's O(1) overflow queue; prints {"port"} and closes on stdin end.
// Usage (by bench/mqtt-queue.ts): node bench/aedes-bare-server.ts default|ring
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { createMessageQueue } from '../src/device-hub/message-queue.ts';

const ring = process.argv[2] === 'ring';
const aedes = new Aedes(ring ? { mq: createMessageQueue() } : {});
await aedes.listen();
const server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => { server.close(); aedes.close(() => process.exit(0)); });
