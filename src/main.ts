// Command line: `portier [start] [--config FILE]` runs the gateway,
// `portier check-config [--config FILE]` validates the configuration and opens its enc:v1 values,
// `portier encrypt-secret` seals a secret read from stdin under the master key (an enc:v1 value for the YAML).
// `portier check-security` lists every listener and peer link that is still plain.
// `portier audit verify [--checkpoint seq:hash|FILE]…` checks the audit log's hash chain (and against
// checkpoints received off the box) and names the first broken seq.
// The only module that reads process.env and argv; it hands them to the gateway.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, ConfigError, type Config } from './config/index.ts';
import { createLogger, pseudonymiser } from './log/index.ts';
import { projectRoot } from './core/project-root.ts';
import { collectStartupGarbage, scheduleStartupRelease } from './core/startup-memory.ts';
import { stopOnSignals } from './lifecycle/stop-on-signals.ts';
import { checkSecurity, formatFindings } from './security/index.ts';
import { verifyChain, formatChainReport, readOffBoxCheckpoints, type OffBoxCheckpoint } from './audit/index.ts';
import { Store } from './store/index.ts';
import { loadMasterKeys, logGeneratedKey, sealedKeyFile, SecretsError, PSEUDONYM_KEY_FILE, configSecrets, isSealed, openConfigSecrets, type MasterKeys } from './secrets/index.ts';

const ROOT = projectRoot(import.meta.dirname);

function parse(): { command: string; sub?: string; configFile?: string; demo: boolean; checkpoints: string[] } {
  const { values, positionals } = parseArgs({
    options: { config: { type: 'string', short: 'c' }, demo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, checkpoint: { type: 'string', multiple: true } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write('usage: portier [start|check-config|check-security|encrypt-secret|audit verify [--checkpoint seq:hash|FILE]…] [--config FILE] [--demo]\n');
    process.exit(0);
  }
  const command = positionals[0] ?? 'start';
  if (!['start', 'check-config', 'check-security', 'encrypt-secret', 'audit'].includes(command)) {
    process.stderr.write(`portier: unknown command ${command} (start, check-config, check-security, encrypt-secret, audit verify)\n`);
    process.exit(64);
  }
  if (command === 'audit' && positionals[1] !== 'verify') {
    process.stderr.write(`portier: unknown audit command ${positionals[1] ?? '(none)'} (audit verify)\n`);
    process.exit(64);
  }
  return { command, sub: positionals[1], configFile: values.config, demo: values.demo ?? false, checkpoints: values.checkpoint ?? [] };
}

function config(configFile?: string): Config {
  try {
    return loadConfig({ configDir: join(ROOT, 'config'), file: configFile, env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** A wrong or unreadable master key is one line naming its source, not a stack trace. */
function secretOrExit<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SecretsError) {
      process.stderr.write(`portier: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

function masterKeys(cfg: Config): MasterKeys {
  const keys = secretOrExit(() => loadMasterKeys(cfg));
  if (keys.generated) process.stderr.write(`portier: generated a new master key in ${keys.generated}; move it off the box or into PORTIER_SECRETS__MASTER_KEY for real protection / neuer Hauptschlüssel erzeugt\n`);
  return keys;
}

/**
 * check-config opens every enc:v1 value with the master key (never generating
 * one), so a value that would stop the start fails here, naming its key.
 */
function checkConfigSecrets(cfg: Config): void {
  const plaintext = configSecrets(cfg).filter((s) => s.alwaysSecret && !isSealed(s.value)).map((s) => s.key);
  if (plaintext.length > 0) {
    process.stderr.write(`portier: plaintext secrets / Klartext-Geheimnisse: ${plaintext.join(', ')} (encrypt with \`portier encrypt-secret\`)\n`);
  }
  if (!configSecrets(cfg).some((s) => isSealed(s.value))) return;
  const keys = secretOrExit(() => loadMasterKeys(cfg, { generate: false }));
  const { stale } = secretOrExit(() => openConfigSecrets(cfg, keys.box));
  if (stale.length > 0) {
    process.stderr.write(`portier: encrypted with a previous master key / mit einem früheren Hauptschlüssel verschlüsselt: ${stale.join(', ')} (encrypt anew with \`portier encrypt-secret\`)\n`);
  }
}

/** Reads the secret from stdin (one trailing newline dropped) and prints its enc:v1 value. */
async function encryptSecret(keys: MasterKeys): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (secret === '') {
    process.stderr.write('portier: encrypt-secret: no secret on stdin / kein Geheimnis auf stdin (echo -n SECRET | portier encrypt-secret)\n');
    process.exit(64);
  }
  process.stdout.write(`${keys.box.seal(secret)}\n`);
}

async function run(): Promise<void> {
  const { command, configFile, demo, checkpoints } = parse();
  const cfg = config(configFile);
  if (command === 'check-config') {
    checkConfigSecrets(cfg);
    process.stdout.write('config ok\n');
    return;
  }
  if (command === 'check-security') {
    const findings = checkSecurity(cfg);
    // process.exit drops what process.stdout still queues (a long report into a slow reader): exit once it is written.
    await new Promise<void>((resolve) => { process.stdout.write(formatFindings(findings), () => resolve()); });
    process.exit(findings.length > 0 ? 1 : 0);
  }
  if (command === 'audit') {
    if (!existsSync(cfg.store.path)) {
      process.stderr.write(`portier: audit verify: no store at ${cfg.store.path} / keine Datenbank unter ${cfg.store.path}\n`);
      process.exit(2);
    }
    let offBox: OffBoxCheckpoint[];
    try {
      offBox = checkpoints.flatMap((value) => readOffBoxCheckpoints(value));
    } catch (error) {
      process.stderr.write(`portier: audit verify: ${(error as Error).message} / --checkpoint erwartet seq:hash oder eine JSON-Datei empfangener Prüfpunkte\n`);
      process.exit(64);
    }
    // The store's own migrations run first (a running gateway has applied them already); reading needs no key.
    const store = await Store.open(cfg.store.path);
    try {
      const report = await verifyChain(store.db, offBox);
      process.stdout.write(formatChainReport(report));
      process.exitCode = report.ok ? 0 : 1;
    } finally {
      await store.close();
    }
    return;
  }
  const keys = masterKeys(cfg);
  if (command === 'encrypt-secret') {
    await encryptSecret(keys);
    return;
  }
  // The gateway's module graph (mediasoup, fastify, socket.io …) loads only to start it:
  // the check, seal and audit commands above stay quick (test/scripts/lazy-libraries.test.ts).
  const { Gateway, StartError } = await import('./gateway.ts');
  const pseudonymKey = cfg.log.pseudonymise ? secretOrExit(() => sealedKeyFile(join(cfg.data_dir, PSEUDONYM_KEY_FILE), keys.box).key) : undefined;
  const format = cfg.log.format === 'auto' ? (process.stdout.isTTY ? 'text' : 'json') : cfg.log.format;
  const logger = createLogger({ level: cfg.log.level, format, pseudonymise: pseudonymKey === undefined ? undefined : pseudonymiser(pseudonymKey) });
  logGeneratedKey(keys, logger);
  // A rejected promise nobody awaited is a bug to log, not a reason to drop every call in the building.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  const gateway = new Gateway({ config: cfg, logger, workerBin: process.env.MEDIASOUP_WORKER_BIN, masterKeys: keys, collectGarbage: collectStartupGarbage });
  const started = gateway.start();
  // Listening from the start on: with no listener (mediasoup's own are removed, see worker-slot.ts) a SIGTERM
  // during the start killed the process outright, without close or 'gateway: stopped'.
  const stopping = stopOnSignals({ gateway, started, drainMs: cfg.lifecycle.drain_seconds * 1000, logger });
  try {
    await started;
  } catch (error) {
    const message = error instanceof StartError ? error.message : String(error);
    logger.fatal({ err: error }, 'gateway: start failed');
    process.stderr.write(`portier: ${message}\n`);
    process.exit(1);
  }
  // Told to stop during the start: it stops now that it has started.
  if (stopping()) return;
  const { ports } = gateway.services.web;
  logger.info({ ports, ready: `http://${cfg.http.host}:${ports.http}/ready`, pages: gateway.pageUrls() }, 'gateway: ready');
  // Once the first burst of connections has passed and the devices are quiet enough, the heap start-up grew is handed back
  // (startup-memory.ts): not while devices send many messages (its pause would stop card reads under way), at the latest 10 min after ready.
  const hub = gateway.services.deviceHub;
  scheduleStartupRelease((release) => logger.info(release, 'gateway: start-up memory released'), { activity: () => hub.messagesRouted });
  if (gateway.firstRunFile) {
    process.stderr.write(`portier: first run – the link that sets the admin password is in ${gateway.firstRunFile}\n`);
    // The link carries a secret: on the console only, never in the journal.
    if (process.stdout.isTTY) process.stderr.write(gateway.firstRunHelp(readFileSync(gateway.firstRunFile, 'utf8').trim()));
  }

  if (demo) {
    const { seedDemo } = await import('./demo.ts');
    const info = await seedDemo(gateway.services);
    const base = `http://localhost:${ports.http}`;
    process.stderr.write([
      '', 'portier demo – open these two pages in two browser tabs / diese zwei Seiten in zwei Tabs öffnen:',
      `  terminal: ${base}/terminal   (pairing code / Kopplungscode: ${info.pairingCode})`,
      `  desk:     ${base}/desk       (${info.users.map((u) => `${u.login} / ${u.password} [${u.role}]`).join(', ')})`,
      `  admin:    ${base}/admin      (first-run link above / Link oben)`, '',
    ].join('\n') + '\n');
  }
}

await run();
