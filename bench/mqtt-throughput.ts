// Broker throughput, the device-hub performance issue's measuring stick (#16 part 1):
// N device publishers and one subscriber, QoS 0 and QoS 1, driven by the same
// client code (bench/mqtt-wire.ts, a lean client writing pre-encoded packets, so
// that the broker, not the bench's process, bounds msg/s; `--client=mqttjs` drives
// the same load with mqtt.js, as the bench did up to session 29) against Portier's hub (child process, ACLs and payload
// validation on) with each broker persistence (aedes's in-memory one and
// Portier's durable SQLite one), bare aedes 1.2 (with Portier's npm patches: scripts/lib/npm-patches.mjs) in its own process (in-memory,
// noDelay, with the O(1) queue Portier passes it: what Portier adds to aedes),
// and Debian's mosquitto (without and with its persistence). Each broker runs in
// a process of its own; besides msg/s it reports that process's CPU time per
// delivered message (user + system from /proc before and after each scenario:
// steadier than msg/s on a shared machine) and the ratios the issue targets, and
// the bench's own clients' CPU time per message and how busy their event loop was
// (on 2 cores they bound msg/s too). Each publisher keeps at most WINDOW messages
// unanswered (bench/mqtt-lib.ts publishAll: O(1) per message, refilled once per
// batch of PUBACKs, whatever way a broker groups them).
// The third scenario has a persistent-session subscriber (clean=false, QoS 1):
// that is where a durable persistence writes per message.
// Usage: node scripts/run.mjs node bench/mqtt-throughput.ts [--smoke] [--brokers=portier_memory,aedes,…] [--scenarios=qos0,…] [--client=wire|mqttjs]
//   --brokers runs only those (for A/B runs); ratios need both of their brokers.
//   --scenarios runs only those (e.g. a CPU profile of one scenario: PORTIER_BENCH_NODE_FLAGS, bench/mqtt-lib.ts).
import type { IClientOptions } from 'mqtt';
import { print, smoke } from './lib.ts';
import { startHubProcess, startMosquitto, startBareAedes, runLoad, type LoadClient, type LoadResult, type LoadTarget } from './mqtt-lib.ts';

const PUBLISHERS = smoke ? 3 : 8;
const PER_PUBLISHER = smoke ? 300 : 20_000;
const WINDOW = 64;
const TIMEOUT_MS = smoke ? 20_000 : 180_000;
const PAYLOAD = '{"type":"motion","value":true}';

const SCENARIOS = [
  { name: 'qos0', qos: 0, clean: true },
  { name: 'qos1', qos: 1, clean: true },
  { name: 'qos1_persistent_session', qos: 1, clean: false },
] as const;
type Scenario = (typeof SCENARIOS)[number];
const chosenScenarios = process.argv.find((a) => a.startsWith('--scenarios='))?.slice('--scenarios='.length).split(',') ?? SCENARIOS.map((s) => s.name);
for (const name of chosenScenarios) if (!SCENARIOS.some((s) => s.name === name)) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
const RUN = SCENARIOS.filter((s) => chosenScenarios.includes(s.name));
const CLIENTS: LoadClient[] = ['wire', 'mqttjs'];
const CLIENT = (process.argv.find((a) => a.startsWith('--client='))?.slice('--client='.length) ?? 'wire') as LoadClient;
if (!CLIENTS.includes(CLIENT)) throw new Error(`unknown client ${CLIENT}; known: ${CLIENTS.join(', ')}`);

/** A started broker: what the load needs for a scenario, and how to stop it. */
interface Started { target: (clean: boolean) => LoadTarget; stop: () => Promise<void> }

/** Anonymous clients, as bare aedes and mosquitto take them. */
const anonymous = (pid: number, port: number) => (clean: boolean): LoadTarget => ({
  pid, url: `mqtt://127.0.0.1:${port}`, subscriber: { clientId: 'bench-sub', clean },
  publishers: Array.from({ length: PUBLISHERS }, (_, i) => ({ clientId: `sensor-${i}`, topic: `portier/hq/sensor-${i}/event` })),
});

const BROKERS: Record<string, () => Promise<Started>> = {
  portier_memory: () => portier('memory'),
  portier_sqlite: () => portier('sqlite'),
  aedes: async () => {
    const aedes = await startBareAedes('ring');
    return { target: anonymous(aedes.child.pid!, aedes.port), stop: aedes.stop };
  },
  mosquitto: () => mosquitto(false),
  mosquitto_persistent: () => mosquitto(true),
};

async function portier(persistence: 'memory' | 'sqlite'): Promise<Started> {
  const hub = await startHubProcess(PUBLISHERS, persistence);
  const { integration, sensors } = hub.info;
  return {
    target: (clean) => ({
      pid: hub.child.pid!, url: `mqtt://127.0.0.1:${hub.info.tcp}`,
      subscriber: { clientId: integration.id, username: integration.id, password: integration.secret, clean } satisfies IClientOptions,
      publishers: sensors.map((s) => ({ clientId: s.id, username: s.id, password: s.secret, topic: `portier/hq/${s.id}/event` })),
    }),
    stop: hub.stop,
  };
}

async function mosquitto(persistence: boolean): Promise<Started> {
  const mosq = await startMosquitto(persistence);
  return { target: anonymous(mosq.child.pid!, mosq.port), stop: mosq.stop };
}

/** Every scenario, one after another, on one start of the broker. */
async function measure(start: () => Promise<Started>): Promise<Partial<Record<Scenario['name'], LoadResult>>> {
  const broker = await start();
  const out = {} as Partial<Record<Scenario['name'], LoadResult>>;
  try {
    for (const sc of RUN) {
      out[sc.name] = await runLoad(broker.target(sc.clean),
        { qos: sc.qos, perPublisher: PER_PUBLISHER, window: WINDOW, payload: PAYLOAD, timeoutMs: TIMEOUT_MS, filter: 'portier/hq/+/event', client: CLIENT });
    }
  } finally {
    await broker.stop();
  }
  return out;
}

const chosen = process.argv.find((a) => a.startsWith('--brokers='))?.slice('--brokers='.length).split(',') ?? Object.keys(BROKERS);
for (const name of chosen) if (!BROKERS[name]) throw new Error(`unknown broker ${name}; known: ${Object.keys(BROKERS).join(', ')}`);
const results: Record<string, Partial<Record<Scenario['name'], LoadResult>>> = {};
for (const name of chosen) results[name] = await measure(BROKERS[name]!);

/** a ÷ b, rounded; null when either broker did not run (or b measured nothing, as a smoke run's CPU may). */
const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || b === 0 ? null : Number((a / b).toFixed(3));
const field = (broker: string, scenario: Scenario['name'], key: 'msgs_per_s' | 'cpu_us_per_msg') => results[broker]?.[scenario]?.[key];
const each = (scenario: Scenario['name'], key: keyof LoadResult) => Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v[scenario]?.[key]]));

const out: Record<string, unknown> = {};
for (const { name } of RUN) {
  out[name] = {
    msgs_per_s: each(name, 'msgs_per_s'),
    cpu_us_per_msg: each(name, 'cpu_us_per_msg'),
    writes_per_msg: each(name, 'writes_per_msg'),
    client_cpu_us_per_msg: each(name, 'client_cpu_us_per_msg'),
    client_busy: each(name, 'client_busy'),
    received: each(name, 'received'),
    redelivered: each(name, 'redelivered'),
    expected: PUBLISHERS * PER_PUBLISHER,
    ratio_portier_memory_to_mosquitto: ratio(field('portier_memory', name, 'msgs_per_s'), field('mosquitto', name, 'msgs_per_s')),
    ratio_portier_sqlite_to_mosquitto_persistent: ratio(field('portier_sqlite', name, 'msgs_per_s'), field('mosquitto_persistent', name, 'msgs_per_s')),
    sqlite_cost_ratio_sqlite_to_memory: ratio(field('portier_sqlite', name, 'msgs_per_s'), field('portier_memory', name, 'msgs_per_s')),
    cpu_ratio_portier_memory_to_aedes: ratio(field('portier_memory', name, 'cpu_us_per_msg'), field('aedes', name, 'cpu_us_per_msg')),
    cpu_ratio_portier_memory_to_mosquitto: ratio(field('portier_memory', name, 'cpu_us_per_msg'), field('mosquitto', name, 'cpu_us_per_msg')),
  };
}

/** The targets, read off this run (Portier with aedes's in-memory persistence, like the other two). */
const target = (value: number | null, bound: number, at: 'most' | 'least') =>
  ({ value, target: `${at === 'most' ? '<=' : '>='} ${bound}`, met: value === null ? null : at === 'most' ? value <= bound : value >= bound });
/**
 * The msg/s targets come with what bounds them: `client_bound` names each broker whose run kept
 * the bench's client process ≥ CLIENT_BOUND busy (its msg/s is then what the clients on this
 * 2-core machine could drive against it — mosquitto writes each packet on its own, so at QoS 1
 * the clients read twice per message against it — not the broker's own limit), and
 * `cpu_per_msg_portier_to_mosquitto` the comparison that does not depend on the clients.
 */
const CLIENT_BOUND = 0.85;
const rateTarget = (scenario: Scenario['name'], bound: number) => ({
  ...target(ratio(field('portier_memory', scenario, 'msgs_per_s'), field('mosquitto', scenario, 'msgs_per_s')), bound, 'least'),
  client_bound: ['portier_memory', 'mosquitto'].filter((b) => (results[b]?.[scenario]?.client_busy ?? 0) >= CLIENT_BOUND),
  cpu_per_msg_portier_to_mosquitto: ratio(field('portier_memory', scenario, 'cpu_us_per_msg'), field('mosquitto', scenario, 'cpu_us_per_msg')),
});
const targets = {
  qos0_cpu_per_msg_portier_to_aedes: target(ratio(field('portier_memory', 'qos0', 'cpu_us_per_msg'), field('aedes', 'qos0', 'cpu_us_per_msg')), 1.2, 'most'),
  qos1_cpu_per_msg_portier_to_aedes: target(ratio(field('portier_memory', 'qos1', 'cpu_us_per_msg'), field('aedes', 'qos1', 'cpu_us_per_msg')), 1.2, 'most'),
  qos1_msgs_per_s_portier_to_mosquitto: rateTarget('qos1', 1),
  qos0_msgs_per_s_portier_to_mosquitto: rateTarget('qos0', 0.8),
};
print({ bench: 'mqtt-throughput', client: CLIENT, publishers: PUBLISHERS, messages_per_publisher: PER_PUBLISHER, window: WINDOW, brokers: chosen, ...out, targets });
