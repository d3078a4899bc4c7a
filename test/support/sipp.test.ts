// The sipp fixture's start: a SIP port another process took between the look-up
// and sipp's bind is not mistaken for sipp's own (review s21 #29).
import { describe, it, expect } from 'vitest';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { Sipp, boundBy } from './sipp.ts';

const SCENARIOS = join(import.meta.dirname, '..', 'sip-bridge', 'scenarios');

describe('Sipp.uas', () => {
  it('starts on new ports when another process holds the SIP port: the socket must be sipp\'s own', async () => {
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(0, '127.0.0.1', resolve));
    const taken = squatter.address().port;
    try {
      expect(await boundBy(process.pid, taken), 'this process holds it').toBe(true);
      const sipp = await Sipp.uas(join(SCENARIOS, 'busy.xml'), {}, { port: taken });
      try {
        expect(sipp.port).not.toBe(taken);
        expect(await boundBy(sipp.pid, sipp.port), 'sipp holds its port').toBe(true);
        expect(await boundBy(sipp.pid, taken), 'the squatter\'s port is not sipp\'s').toBe(false);
      } finally {
        await sipp.close();
      }
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
