// The gateway's certificate (local CA or the configured one, renewed in place) and its media workers.
import { availableParallelism } from 'node:os';
import type { SecretBox } from '../secrets/index.ts';
import { TlsProvider } from '../tls/index.ts';
import { WorkerPool } from '../sfu/index.ts';
import { ephemeralPortWarning } from '../lifecycle/index.ts';
import type { StartContext } from './start-context.ts';

/** `box`: the master key's sealer (the CA's key is sealed under it). */
export async function startTls(ctx: StartContext, box: SecretBox): Promise<TlsProvider> {
  const { config, logger, clock, step, closers } = ctx;
  const tls = new TlsProvider({
    dataDir: config.data_dir, certFile: config.https.cert, keyFile: config.https.key,
    hostNames: config.https.host_names, renewBeforeDays: config.https.renew_before_days, box,
  }, clock);
  await step('tls', () => tls.start());
  closers.push({ name: 'tls', close: () => tls.close() });
  // A replaced local CA (other https.host_names, or one from before name constraints) must be installed anew.
  const caReplaced = (m: { caReplaced?: boolean }) => {
    if (m.caReplaced) logger.warn('tls: a new local CA was issued: install /ca.crt on every terminal and desk PC / neue lokale CA ausgestellt: /ca.crt auf jedem Terminal und Desk-PC installieren');
  };
  caReplaced(tls.material);
  // Sealing a key that was plain protects it from now on only: copies in backups, snapshots and freed blocks remain.
  if (tls.keysSealedFromPlain.length > 0) {
    logger.warn({ files: tls.keysSealedFromPlain }, 'tls: the local CA key was stored unencrypted until now and is sealed from this start; treat the old key as exposed: delete tls/ca.* to issue a new CA (then install /ca.crt anew) / CA-Schlüssel lag bisher unverschlüsselt und ist ab jetzt versiegelt; den alten als offengelegt betrachten: tls/ca.* löschen, um eine neue CA auszustellen (dann /ca.crt neu installieren)');
  }
  tls.on('renewed', caReplaced);
  return tls;
}

/** `workerBin`: the mediasoup-worker binary setup built (undefined: mediasoup's own). */
export async function startSfu(ctx: StartContext, workerBin: string | undefined): Promise<WorkerPool> {
  const { config, logger, step, closers, sources } = ctx;
  const workers = config.rtc.workers === 0 ? availableParallelism() : config.rtc.workers;
  // A fixed port the kernel may give an outgoing connection: a worker's replacement could not bind it.
  const exposed = ephemeralPortWarning(config, workers, ctx.kernelPortFiles);
  if (exposed) logger.warn(exposed);
  const sfu = new WorkerPool({
    workers,
    basePort: config.rtc.base_port,
    listen: config.rtc.listen.map((l) => ({ ip: l.ip, announcedAddress: l.announced_address || undefined })),
    minPort: config.rtc.min_port, maxPort: config.rtc.max_port,
    workerBin, logger: logger.child({ component: 'sfu' }),
  });
  closers.push({ name: 'sfu', close: () => sfu.close() });
  await step('sfu', () => sfu.start());
  sources.push({ name: 'sfu', status: () => ({ state: sfu.ready ? 'ready' : 'degraded', workers: sfu.status() }) });
  return sfu;
}
