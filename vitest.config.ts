// vitest: every test under test/; real workers and browsers make some tests slow,
// so timeouts are generous and at most two files run at once (2-core machines;
// PORTIER_TEST_WORKERS overrides it, checked in test/support/test-workers.ts).
// Two projects share those workers. 'shared' runs its files one after another in
// one worker process (isolate: false: each worker imports the gateway's module
// graph once, not once per file — test/http used 28 % less CPU); a folder joins it
// once all its files have passed there together. 'isolated' gives each file a
// process of its own: files that observe the whole process (every SQL statement,
// every open socket: test/device-hub/card-read-statements), change what later
// files would see (process.env, globals, fake timers, module mocks) or leave
// something running stay there. A 'shared' file that leaves a server, socket,
// child process or timer running fails by name (SHARED_SETUP, review s22 #13).
import { defineConfig } from 'vitest/config';
import { testWorkers } from './test/support/test-workers.ts';

/** Folders whose files run without isolation (all passed together, one worker process). */
const SHARED = [
  'http', 'device-hub', 'privacy', 'audit', 'store',
  'calls', 'quality', 'alerts', 'phonebook', 'access', 'sites', 'storage', 'tls', 'log',
  'credentials', 'terminals', 'core', 'web', 'sfu', 'worker', 'security', 'secrets', 'config', 'scripts',
  'media',
].map((folder) => `test/${folder}/**/*.test.ts`).concat([
  // test/sip-bridge's files that start no Kamailio, sipp, baresip or gateway: most
  // finish in under a second and paid their own process and imports (62 % of their time).
  ...['caller-media', 'dtmf-info', 'dtmf-way', 'inbound-guard', 'inbound-invites', 'inbound-sip-call', 'media-security', 'refer-notify', 'refer-target',
    'rtp-feedback', 'rtp-relay-ports', 'rtp-relay-rekey', 'rtp-watch', 'sdes', 'sdp-answer', 'sdp', 'server-pool', 'session-timer',
    'sip-account', 'sip-leg', 'sip-uri', 'sip-wire', 'source-key', 'srtp', 'station-registrar-unit', 'stream-framing', 'stream-garbage',
    'stream-tls-names', 'tcp-transport', 'telephone-event-forwarding', 'telephone-event-latch', 'telephone-event', 'tls-failover',
    'torture', 'transactions', 'udp-transport-guard', 'udp-transport', 'unregister-binding', 'video-sdp'].map((name) => `test/sip-bridge/${name}.test.ts`),
  // test/integration's shorter files (an in-process or spawned gateway, no Chromium or Kamailio): imports were a third
  // of their time. Not demo.test.ts: it leaves 3 TCP sockets open (the leak check names them).
  ...['contract', 'data-files', 'door-from-call', 'door-rights', 'media-limits', 'one-identity', 'opening-hours', 'ready',
    'rule-scope', 'three-way', 'transfer', 'upgrade-shutdown'].map((name) => `test/integration/${name}.test.ts`),
]);
/** Runs around each 'shared' file: it fails a file that leaves something running (test/support/leak-check.test.ts). */
export const SHARED_SETUP = ['test/support/shared-setup.ts'];
/** Files of those folders that need a process of their own (why, per file). */
const OWN_PROCESS = [
  // Counts every SQLite statement of the process: another file's leftover work would count too.
  'test/device-hub/card-read-statements.test.ts',
  // Asserts mqtt-packet's number cache, module state another file's packets would have built.
  'test/device-hub/packet-numbers.test.ts',
];

/** Files at once; read before the variable goes (below). */
const WORKERS = testWorkers();
// The gateway's configuration reads every PORTIER_* variable and refuses an unknown
// key: CLI children that tests spawn with process.env (audit verify, secrets,
// check-security) would stop at this one. Workers are forked after this line.
delete process.env.PORTIER_TEST_WORKERS;

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: WORKERS,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'shared', include: SHARED, exclude: OWN_PROCESS, isolate: false, setupFiles: SHARED_SETUP } },
      // Their beforeAll start Chromium, Kamailio, sipp and gateway processes: 60 s was not enough at load 25-40
      // (refer-out's and desk's set-ups stopped there), nor for a whole Chromium call with decoding at load 6-10
      // (e2e/call's first case). Bounds against a hang, not figures.
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: SHARED, isolate: true, hookTimeout: 180_000, testTimeout: 120_000 } },
      { extends: true, test: { name: 'own-process', include: OWN_PROCESS, isolate: true } },
    ],
  },
});
