// A WebSocket upgrade to a path nobody serves (/mqttx: it merely starts like
// /mqtt) is answered and closed at once, so it cannot hold a file descriptor or
// the shutdown: SIGTERM afterwards still ends the process with exit code 0.
import { afterEach, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { once } from 'node:events';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process.ts';

describe('bogus WebSocket upgrades and shutdown', () => {
  let gw: GatewayProcess | undefined;
  afterEach(() => gw?.cleanup());

  it('answers an upgrade to /mqttx with 404 and closes it; SIGTERM afterwards exits 0', async () => {
    gw = spawnGateway();
    const { http } = await gw.ready;
    // allowHalfOpen: the client never closes its side, only the gateway can end this connection.
    const socket = netConnect({ port: http, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    let answer = '';
    socket.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
    await once(socket, 'connect');
    const ended = new Promise<void>((resolve) => {
      socket.once('end', () => resolve());
      // A failure bound, not a wait: without an answer the assertions below fail.
      setTimeout(resolve, 30_000).unref();
    });
    socket.write('GET /mqttx HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
      + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await ended;
    gw.child.kill('SIGTERM');
    const exit = await gw.exited;
    expect(gw.logs.filter((l) => l.msg === 'gateway: shutdown exceeded its bound')).toEqual([]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    socket.destroy();
  });
});
