// Alerts: open conditions from the probe, call quality, SIP, the SFU and device
// presence, deduplicated, classed per the contract, delivered to a webhook and MQTT.
export { Alerts, alertTopic, type StorageLevel, type AlertSources, type AlertSettings, type AlertPublisher, type AlertsEvents } from './alerts.ts';
export { alertMessage, INCIDENT_CLOCKS, type AlertKind, type AlertMessage, type IncidentClass, type OpenCondition } from './alert.ts';
export { Webhook, type WebhookSettings, type WebhookDrop } from './webhook.ts';
export { alertSettings } from './settings.ts';
