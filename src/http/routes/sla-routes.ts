// Admin API: the monthly SLA report of a site (JSON or CSV; report.read on the
// site) and its printable page in German or English (/sla/report), planned maintenance and downtime excused after the fact (sla.admin on
// the site, or deployment-wide for every site; audited by the service).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { reportCsv, reportPage, REPORT_CSS, type ServiceLevel } from '../../quality/index.ts';
import { actorOf, type Auth } from '../auth.ts';
import { ErrorBody, Id } from './schemas.ts';
import { open } from './views.ts';

const ReportQuery = Type.Object({
  site: Id,
  month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM, in the site\'s time zone' }),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
}, { additionalProperties: false });

const PageQuery = Type.Object({
  site: ReportQuery.properties.site,
  month: ReportQuery.properties.month,
  lang: Type.Optional(Type.Union([Type.Literal('de'), Type.Literal('en')])),
}, { additionalProperties: false });

const Instant = Type.Integer({ minimum: 0, description: 'ms since the epoch' });
const PeriodFields = {
  /** Absent or null: every site (needs sla.admin on every site). */
  site: Type.Optional(Type.Union([Id, Type.Null()])),
  start: Instant,
  end: Instant,
  note: Type.Optional(Type.Union([Type.String(), Type.Null()])),
};
const PlannedBody = Type.Object(PeriodFields, { additionalProperties: false });
const ExcuseBody = Type.Object({
  ...PeriodFields,
  reason: Type.Union([Type.Literal('customer-equipment'), Type.Literal('security-patch'), Type.Literal('attack')]),
}, { additionalProperties: false });
const PeriodView = Type.Object({
  id: Type.String(), kind: Type.String(), siteId: Type.Union([Type.String(), Type.Null()]), start: Type.Integer(), end: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]), note: Type.Union([Type.String(), Type.Null()]), createdAt: Type.Integer(),
});

const siteOfBody = (req: FastifyRequest) => (req.body as { site?: string | null }).site ?? undefined;

export async function slaRoutes(app: FastifyInstance, d: { auth: Auth; sla: ServiceLevel }): Promise<void> {
  app.get<{ Querystring: Static<typeof ReportQuery> }>('/api/sla/report', {
    schema: {
      tags: ['sla'], summary: "A site's monthly SLA report (JSON or CSV)", querystring: ReportQuery,
      description: 'Availability against the target, outages (measured, then window, planned and excused minutes taken out), probes, downtime per day and call figures (docs/quality.md). format=csv for a spreadsheet; /sla/report is the printable page. report.read on the site.',
      response: {
        200: {
          description: 'The report',
          content: {
            'application/json': { schema: open({ site: open({ id: Type.String(), name: Type.String() }), month: Type.String(), generatedAt: Type.Integer(), outages: Type.Array(open({})), days: Type.Array(open({ date: Type.String(), downtimeMinutes: Type.Number() })), calls: open({}) }) },
            'text/csv': { schema: { type: 'string', description: 'the same as CSV (format=csv)' } },
          },
        },
      },
    },
    preHandler: d.auth.requires('report.read', (req) => (req.query as { site: string }).site),
  }, async (req, reply) => {
    const report = await d.sla.report(req.query.site, req.query.month);
    reply.header('cache-control', 'no-store');
    if (req.query.format !== 'csv') return report;
    return reply.header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="sla-${report.site.id}-${report.month}.csv"`)
      .send(reportCsv(report));
  });

  app.get<{ Querystring: Static<typeof PageQuery> }>('/sla/report', {
    schema: { hide: true, querystring: PageQuery },
    preHandler: d.auth.requires('report.read', (req) => (req.query as { site: string }).site),
  }, async (req, reply) => {
    const report = await d.sla.report(req.query.site, req.query.month);
    const lang = req.query.lang ?? (/^de\b/i.test(req.headers['accept-language'] ?? '') ? 'de' : 'en');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(reportPage(report, lang));
  });

  app.get('/assets/sla-report.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(REPORT_CSS));

  app.post<{ Body: Static<typeof PlannedBody> }>('/api/sla/planned', {
    schema: {
      tags: ['sla'], summary: 'Announce planned maintenance', body: PlannedBody,
      description: 'A period (site null: every site) whose downtime the SLA report counts as planned. Audited. sla.admin on the site (deployment-wide for every site).',
      response: { 201: { ...PeriodView, description: 'The period as stored' }, 400: ErrorBody, 403: ErrorBody },
    },
    preHandler: d.auth.requires('sla.admin', siteOfBody),
  }, async (req, reply) => {
    const { site, start, end, note } = req.body;
    return reply.status(201).send(await d.sla.plan(actorOf(req.principal!), { siteId: site ?? null, start, end, note }));
  });

  app.post<{ Body: Static<typeof ExcuseBody> }>('/api/sla/excuses', {
    schema: {
      tags: ['sla'], summary: 'Excuse downtime after the fact', body: ExcuseBody,
      description: "A period whose downtime the SLA report excuses, with the contract's reason (customer equipment, security patch, attack). Audited. sla.admin on the site (deployment-wide for every site).",
      response: { 201: { ...PeriodView, description: 'The period as stored' }, 400: ErrorBody, 403: ErrorBody },
    },
    preHandler: d.auth.requires('sla.admin', siteOfBody),
  }, async (req, reply) => {
    const { site, start, end, reason, note } = req.body;
    return reply.status(201).send(await d.sla.excuse(actorOf(req.principal!), { siteId: site ?? null, start, end, reason, note }));
  });
}
