// The gateway wires the quality monitor into the calls' media: a call through
// the real signaling path is watched while it runs and its summary is stored in
// call_quality when it ends; /metrics shows running calls by state and ended calls
// by outcome, open on the localhost HTTP listener, behind report.read on HTTPS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { request as httpsRequest } from 'node:https';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type SiteFixture } from '../support/signaling.ts';
import { CallQualityRecords, type CallQualitySummary } from '../../src/quality/index.ts';

describe('quality monitor in the gateway', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await gw?.close();
  });

  it('watches a running call\'s media, takes the pages\' quality reports and stores its summary when the call ends', async () => {
    const { quality, store } = gw.gateway.services;
    const desk = await connect(gw, '/desk', site.users.rita!.cookie);
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    sockets.push(desk, terminal);
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
    await next(desk, 'call.ring');
    expect(await ack(desk, 'call.answer', { callId })).toMatchObject({ ok: true });
    expect(quality.watching).toEqual([callId]);

    // The pages' getStats reports (quality.report): answered with the interval and the leg's MOS; bad input named.
    expect(await ack(terminal, 'quality.report', { callId, audio: { packetsReceived: 10, packetsLost: 0, packetsDiscarded: 0, jitterMs: 2 }, rttMs: 4 }))
      .toEqual({ ok: true, mos: null, level: null, intervalMs: 5000 });
    expect(await ack(desk, 'quality.report', { callId, video: { framesDecoded: 10, framesDropped: 0, freezeCount: 0 } })).toMatchObject({ ok: true, intervalMs: 5000 });
    expect(await ack(desk, 'quality.report', { callId, audio: { packetsReceived: -1, packetsLost: 0, packetsDiscarded: 0, jitterMs: 2 } })).toMatchObject({ ok: false, error: 'invalid' });
    expect(await ack(desk, 'quality.report', { callId, codecs: ['x'.repeat(100)] })).toMatchObject({ ok: false, error: 'invalid' });
    expect(await ack(terminal, 'quality.report', { callId: 'no-such-call' })).toMatchObject({ ok: false, error: 'not-found' });

    // The admin dashboard's running calls with their quality: report.read on the site.
    const live = await site.admin.get('/api/sites/hq/calls/quality');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ mosThreshold: 3.6, calls: [{ callId, terminalId: site.terminal.id, step: 'answered', startedAt: expect.any(Number), mos: null, level: null, legs: [], timeline: [] }] });
    const noRole = new ApiClient(gw.base);
    noRole.cookie = site.users.gus!.cookie; // signed in, no role on hq
    expect((await noRole.get('/api/sites/hq/calls/quality')).status).toBe(403);
    expect((await new ApiClient(gw.base).get('/api/sites/hq/calls/quality')).status).toBe(401);

    const stored = new Promise<CallQualitySummary>((resolve) => quality.on('summary', (s) => { if (s.callId === callId) resolve(s); }));
    expect(await ack(desk, 'call.hangup', { callId })).toMatchObject({ ok: true });
    const summary = await stored;
    // No media flowed in this call: no interval had a MOS.
    expect(summary).toMatchObject({ callId, intervals: 0, minMos: null, belowShare: null });
    expect(await new CallQualityRecords(store).get(callId)).toEqual(summary);
    expect(quality.watching).toEqual([]);
  });

  it('serves /metrics in the Prometheus text format: calls by state and outcome, the MOS histogram', async () => {
    const metric = (text: string, line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    const scrape = async () => {
      const res = await fetch(`${gw.base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };
    const before = await scrape();
    expect(before).toMatch(/^# TYPE portier_call_leg_mos histogram$/m);
    expect(before).toMatch(/^portier_call_leg_mos_bucket\{le="3.6"\} \d+$/m);
    const answeredBefore = metric(before, 'portier_calls_ended_total{outcome="answered"}');

    const desk = await connect(gw, '/desk', site.users.rita!.cookie);
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    sockets.push(desk, terminal);
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Empfang'] });
    await next(desk, 'call.ring');
    expect(metric(await scrape(), 'portier_calls{state="ringing"}')).toBe(1);
    expect(await ack(desk, 'call.answer', { callId })).toMatchObject({ ok: true });
    const during = await scrape();
    expect([metric(during, 'portier_calls{state="ringing"}'), metric(during, 'portier_calls{state="answered"}')]).toEqual([0, 1]);
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(desk, 'call.hangup', { callId })).toMatchObject({ ok: true });
    await ended;
    const after = await scrape();
    expect(metric(after, 'portier_calls{state="answered"}')).toBe(0);
    expect(metric(after, 'portier_calls_ended_total{outcome="answered"}')).toBe(answeredBefore + 1);

    // On HTTPS only an admin session (or a token with report.read) gets the metrics.
    const https = (cookie?: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: gw.gateway.services.web.ports.https, path: '/metrics', servername: 'localhost',
        ca: gw.gateway.services.tls.material.ca!, agent: false, headers: cookie ? { cookie } : {},
      }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect((await https()).status).toBe(401);
    expect((await https(site.users.rita!.cookie)).status).toBe(403);
    const authorised = await https(site.admin.cookie);
    expect(authorised.status).toBe(200);
    expect(authorised.body).toMatch(/^portier_calls_ended_total\{outcome="answered"\} \d+$/m);
  });
});
