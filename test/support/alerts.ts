// Waiting for an alert by event, not by time: the gateway's Alerts opening or clearing one condition.
import type { AlertMessage, Alerts } from '../../src/alerts/index.ts';

/** Resolves with the next message of alert `id` in `state` (subscribe before the cause). */
export function nextAlert(alerts: Pick<Alerts, 'on' | 'off'>, id: string, state: AlertMessage['state']): Promise<AlertMessage> {
  return new Promise((resolve) => {
    const on = (m: AlertMessage) => { if (m.id === id && m.state === state) { alerts.off('alert', on); resolve(m); } };
    alerts.on('alert', on);
  });
}
