// Admin API: the running calls of a site with their quality now (report.read on the
// site) — each leg's last MOS, loss, jitter and RTT, and the call's MOS timeline —
// for the admin dashboard. Reads the quality monitor; owns nothing.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { CallService } from '../../calls/index.ts';
import type { QualityMonitor } from '../../quality/index.ts';
import type { Auth } from '../auth.ts';
import { SiteParams } from './schemas.ts';

const Num = Type.Union([Type.Number(), Type.Null()]);
const Level = Type.Union([Type.Literal('good'), Type.Literal('fair'), Type.Literal('poor'), Type.Null()]);
const LiveCall = Type.Object({
  callId: Type.String(),
  terminalId: Type.String(),
  step: Type.String(),
  startedAt: Type.Integer(),
  /** The worst leg's last MOS (null before the first rated interval, or when the monitor does not watch the call). */
  mos: Num,
  level: Level,
  legs: Type.Array(Type.Object({
    participantId: Type.String(), kind: Type.String(), interval: Type.Integer(), at: Type.Integer(), mos: Num, level: Level,
    lossPercent: Type.Number(), discardPercent: Type.Number(), jitterMs: Type.Number(), rttMs: Num,
  })),
  timeline: Type.Array(Type.Object({ at: Type.Integer(), interval: Type.Integer(), mos: Num })),
});
const LiveCalls = Type.Object({ mosThreshold: Type.Number(), calls: Type.Array(LiveCall) }, { description: 'The running calls with their quality' });

export async function qualityRoutes(app: FastifyInstance, d: {
  auth: Auth; calls: Pick<CallService, 'activeCalls'>; quality: Pick<QualityMonitor, 'live'>; mosThreshold: number;
}): Promise<void> {
  app.get<{ Params: Static<typeof SiteParams> }>('/api/sites/:siteId/calls/quality', {
    schema: {
      tags: ['calls'], summary: "Speech quality of a site's running calls", params: SiteParams,
      description: "Each running call's MOS now (its worst leg), each leg's MOS, loss, jitter and RTT, and the call's MOS timeline (docs/quality.md). report.read on the site.",
      response: { 200: LiveCalls },
    },
    preHandler: d.auth.requires('report.read', (req) => (req.params as { siteId: string }).siteId),
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const calls = d.calls.activeCalls.filter((c) => c.siteId === req.params.siteId).map((c) => {
      const info = c.info();
      const live = d.quality.live(c.id);
      return {
        callId: c.id, terminalId: info.terminalId, step: info.step.step, startedAt: info.startedAt,
        mos: live?.mos ?? null, level: live?.level ?? null, legs: live?.legs ?? [], timeline: live?.timeline ?? [],
      };
    });
    return { mosThreshold: d.mosThreshold, calls };
  });
}
