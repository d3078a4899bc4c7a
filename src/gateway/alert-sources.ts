// The alerts' sources, and the audit checkpoints' failures raised as alerts (cleared once one is delivered).
import type { AuditCheckpoints } from '../audit/index.ts';
import type { DeviceHub } from '../device-hub/index.ts';
import type { QualityMonitor, SyntheticProbe, BudgetWatch } from '../quality/index.ts';
import type { WorkerPool } from '../sfu/index.ts';
import type { SipBridge } from '../sip-bridge/index.ts';
import type { StorageQuota } from '../storage/index.ts';
import type { KioskHealth } from '../terminals/index.ts';
import { Alerts, alertSettings } from '../alerts/index.ts';
import type { StartContext } from './start-context.ts';

export interface AlertSourcesDeps {
  probe: SyntheticProbe;
  quality: QualityMonitor;
  sip: SipBridge;
  sfu: WorkerPool;
  deviceHub: DeviceHub;
  quota: StorageQuota;
  budget: BudgetWatch;
  kiosk: KioskHealth;
  checkpoints: AuditCheckpoints;
}

export function buildAlerts(ctx: StartContext, deps: AlertSourcesDeps): Alerts {
  const { config, logger, clock, closers } = ctx;
  const { probe, quality, sip, sfu, deviceHub, quota, budget, kiosk, checkpoints } = deps;
  // -- alerts (src/alerts): its sources arrive here, before the admin routes and signaling (which read it), the SIP
  // accounts register and the probe starts. Closed before the SIP bridge and the hub, so their shutdown raises no
  // alert: the gateway pushes that closer once the hub's is in (named `alerts`); this one only closes it on a start
  // that fails before then (close() is idempotent) --
  const alerts = new Alerts({
    clock, logger: logger.child({ component: 'alerts' }), settings: alertSettings(config),
    sources: { probe, quality, sip, sfu, devices: deviceHub.observer, storage: quota, budget, kiosk },
    publish: (topic, payload, opts) => deviceHub.publish(topic, payload, opts),
  });
  closers.push({ name: 'alerts-on-failed-start', close: () => alerts.close() });
  checkpoints.on('failed', (f) => alerts.raise({
    id: `audit-checkpoint:${f.target}`, kind: 'audit-checkpoint', incidentClass: 3, siteId: null, subject: { target: f.target, seq: f.checkpoint.seq, reason: f.reason },
    text: { en: `audit checkpoints do not reach the ${f.target} (${f.reason}); retrying`, de: `Audit-Prüfpunkte erreichen ${f.target} nicht (${f.reason}); neuer Versuch folgt` },
  }));
  checkpoints.on('delivered', (d) => alerts.clear(`audit-checkpoint:${d.target}`));
  return alerts;
}
