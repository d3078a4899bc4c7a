// Admin API: the open alerts (src/alerts) the caller may see — a site's to whoever
// holds report.read on that site, the gateway-wide ones (no site) to whoever holds it
// deployment-wide — most severe first, then oldest. Reads Alerts; owns nothing.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AlertMessage, Alerts } from '../../alerts/index.ts';
import type { Sites } from '../../sites/index.ts';
import type { Auth } from '../auth.ts';
import { ErrorBody } from './schemas.ts';

const Instant = Type.Integer({ description: 'ms since the epoch' });
const OpenAlert = Type.Object({
  id: Type.String({ description: 'one per open condition (docs/quality.md, "Alerts")' }),
  kind: Type.String(),
  incidentClass: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)], { description: '1 unusable, 2 seriously impaired, 3 minor' }),
  siteId: Type.Union([Type.String(), Type.Null()], { description: 'null: the whole gateway' }),
  siteName: Type.Union([Type.String(), Type.Null()], { description: "the site's name; null for the whole gateway or a site since deleted" }),
  subject: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()])),
  text: Type.Object({ de: Type.String(), en: Type.String() }),
  openedAt: Instant,
  reactionDueAt: Instant,
  restoreDueAt: Instant,
  reactionLeftMs: Type.Integer({ description: 'negative: overdue' }),
  restoreLeftMs: Type.Integer({ description: 'negative: overdue' }),
});
const OpenAlerts = Type.Object({ alerts: Type.Array(OpenAlert) }, { description: 'The open alerts the caller may see, most severe first, then oldest' });

/** Most severe (class 1) first, then the oldest; the id keeps alerts opened together in one order. */
export const bySeverityThenAge = (a: AlertMessage, b: AlertMessage): number =>
  a.incidentClass - b.incidentClass || a.openedAt - b.openedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export async function alertRoutes(app: FastifyInstance, d: { auth: Auth; alerts: Pick<Alerts, 'list'>; sites: Pick<Sites, 'list'> }): Promise<void> {
  const siteIds = async () => (await d.sites.list()).map((s) => s.id);
  app.get('/api/alerts', {
    schema: {
      tags: ['alerts'], summary: 'The open alerts',
      description: "The open alerts (docs/quality.md, \"Alerts\") with the contract's clocks now: a site's to report.read on that site, the gateway-wide ones to report.read deployment-wide; 403 without report.read anywhere. Most severe first, then oldest.",
      response: { 200: OpenAlerts, 401: ErrorBody, 403: ErrorBody },
    },
    preHandler: d.auth.requiresAnywhere('report.read', siteIds),
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const names = new Map((await d.sites.list()).map((s) => [s.id, s.name]));
    // One permission question per site among the open alerts, not per alert.
    const readable = new Map<string | null, Promise<boolean>>();
    const mayRead = (siteId: string | null) => {
      let answer = readable.get(siteId);
      if (!answer) readable.set(siteId, answer = d.auth.allows(req, 'report.read', siteId ?? undefined));
      return answer;
    };
    const open = d.alerts.list();
    const allowed = await Promise.all(open.map((a) => mayRead(a.siteId)));
    const alerts = open.filter((_, i) => allowed[i]).sort(bySeverityThenAge).map((a) => ({
      id: a.id, kind: a.kind, incidentClass: a.incidentClass, siteId: a.siteId, siteName: a.siteId === null ? null : names.get(a.siteId) ?? null,
      subject: a.subject, text: a.text, openedAt: a.openedAt, reactionDueAt: a.reactionDueAt, restoreDueAt: a.restoreDueAt,
      reactionLeftMs: a.reactionLeftMs, restoreLeftMs: a.restoreLeftMs,
    }));
    return { alerts };
  });
}
