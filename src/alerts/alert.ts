// What an alert says: its kind, incident class (the contract's classes and
// their reaction/restore clocks), the time left on those clocks and its text in
// German and English.

export type AlertKind = 'probe-down' | 'low-quality' | 'sip-registration' | 'worker-died' | 'device-offline' | 'storage-quota' | 'budget-burn'
  | 'terminal-health' | 'site-no-terminal' | 'audit-checkpoint';

/** 1 unusable, 2 seriously impaired, 3 minor (../shared/docs/PRODUCT.md, "Incident classes"). */
export type IncidentClass = 1 | 2 | 3;

const HOUR = 3_600_000;

/** Reaction and restore times per incident class, from the moment the condition opened. */
export const INCIDENT_CLOCKS: Record<IncidentClass, { reactionMs: number; restoreMs: number }> = {
  1: { reactionMs: 5 * HOUR, restoreMs: 24 * HOUR },
  2: { reactionMs: 24 * HOUR, restoreMs: 48 * HOUR },
  3: { reactionMs: 48 * HOUR, restoreMs: 72 * HOUR },
};

export interface Localised { de: string; en: string }

/** An open condition, as the component keeps it. */
export interface OpenCondition {
  /** One open alert per id: the same condition raised again is not a new alert. */
  id: string;
  kind: AlertKind;
  incidentClass: IncidentClass;
  /** The site it concerns, or null for the whole gateway. */
  siteId: string | null;
  subject: Record<string, string | number | null>;
  text: Localised;
  openedAt: number;
}

/** What is delivered (webhook body, MQTT payload). */
export interface AlertMessage extends Omit<OpenCondition, 'text'> {
  state: 'open' | 'recovered';
  /** When this message was made. */
  at: number;
  reactionDueAt: number;
  restoreDueAt: number;
  /** Time left on the contract's clocks at `at` (negative: overdue; 0 once recovered). */
  reactionLeftMs: number;
  restoreLeftMs: number;
  /** Recovered messages: how long the condition lasted. */
  durationMs?: number;
  text: Localised;
}

export function alertMessage(c: OpenCondition, state: 'open' | 'recovered', at: number): AlertMessage {
  const clocks = INCIDENT_CLOCKS[c.incidentClass];
  const reactionDueAt = c.openedAt + clocks.reactionMs;
  const restoreDueAt = c.openedAt + clocks.restoreMs;
  const open = state === 'open';
  return {
    id: c.id, kind: c.kind, state, incidentClass: c.incidentClass, siteId: c.siteId, subject: c.subject,
    openedAt: c.openedAt, at, reactionDueAt, restoreDueAt,
    reactionLeftMs: open ? reactionDueAt - at : 0,
    restoreLeftMs: open ? restoreDueAt - at : 0,
    ...(open ? {} : { durationMs: at - c.openedAt }),
    text: open ? c.text : { de: `Behoben: ${c.text.de}`, en: `Recovered: ${c.text.en}` },
  };
}
