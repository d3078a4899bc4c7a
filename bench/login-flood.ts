// What a flood of bogus sign-ins from one address does to real work: a page
// asset and a real user's sign-in from another address, timed alone and while
// the flood is under way, against a gateway started as its own process. Also
// how the flood was answered (statuses) — with the sign-in limits, most of it
// is refused with 429 before any password is hashed.
// Usage: node scripts/run.mjs node bench/login-flood.ts [--smoke] [--flood N]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnGateway } from '../test/support/gateway-process.ts';
import { ApiClient, signInFirstAdmin } from '../test/support/gateway.ts';
import { smoke, print } from './lib.ts';

const floodArg = process.argv.indexOf('--flood');
const FLOOD = floodArg > 0 ? Number(process.argv[floodArg + 1]) : smoke ? 20 : 100;
const PASSWORD = 'reception password 1';

const timed = async <T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> => {
  const start = performance.now();
  const result = await work();
  return { ms: Number((performance.now() - start).toFixed(1)), result };
};

const gw = spawnGateway();
try {
  const { http } = await gw.ready;
  const base = `http://127.0.0.1:${http}`;
  const admin = await signInFirstAdmin({ base, firstRunToken: () => readFileSync(join(gw.dataDir, 'first-run-link.txt'), 'utf8').split('#token=')[1]!.trim() });
  const created = await admin.post('/api/users', { login: 'rita', displayName: 'Rita', password: PASSWORD });
  if (created.status !== 201) throw new Error(`creating the user failed: ${created.status}`);

  // Real work, from an address the flood does not use.
  const asset = () => timed(async () => (await fetch(`${base}/assets/desk.js`)).status);
  const signIn = () => timed(async () => (await new ApiClient(base, { localAddress: '127.0.0.4' }).post('/api/auth/login', { login: 'rita', password: PASSWORD })).status);

  const alone = { asset: await asset(), sign_in: await signIn() };
  const flood = Promise.all(Array.from({ length: FLOOD }, (_, i) =>
    new ApiClient(base, { localAddress: '127.0.0.3' }).post('/api/auth/login', { login: `nobody-${i}`, password: 'not a password at all' })));
  // Started while the flood's requests are in flight.
  const during = await Promise.all([asset(), signIn()]);
  const answered = await flood;
  const statuses = answered.reduce<Record<string, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});
  print({
    bench: 'login-flood', flood: FLOOD, flood_statuses: statuses,
    asset_ms: { alone: alone.asset.ms, during_flood: during[0].ms }, asset_status: during[0].result,
    sign_in_ms: { alone: alone.sign_in.ms, during_flood: during[1].ms }, sign_in_status: during[1].result,
  });
  if (during[1].result !== 200) throw new Error(`the real sign-in during the flood answered ${during[1].result}`);
} finally {
  gw.child.kill('SIGTERM');
  await gw.exited;
  gw.cleanup();
}
