// What tls-call and ws-call share: a throwaway CA whose certificate Kamailio presents (pbx.portier.test), a sipp
// UAS that answers the extension `answer` Kamailio forwards to it (its RTP counted by `ear`), a gateway whose SIP
// accounts reach Kamailio over one transport, a phone-book entry routing `answer` on each account; a call's audio
// both ways; everything closed in one place, in the order the files closed it.
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { expect } from 'vitest';
import { RtpCounter } from './rtp-counter.ts';
import { pcmaMic } from './sip-call-files.ts';
import { startGateway } from './gateway.ts';
import { seedSite, type Gw, type SiteFixture } from './signaling.ts';
import { Kamailio, type KamailioOptions } from './kamailio.ts';
import { Sipp } from './sipp.ts';
import { TestCa } from './test-ca.ts';

export const DOMAIN = 'portier.test';
const SCENARIOS = join(import.meta.dirname, '..', 'sip-bridge', 'scenarios');

export interface SecureSipCallsOptions {
  /** The gateway's RTP port range (each file its own). */
  rtpPorts: { min: number; max: number };
  /** Kamailio's users and listeners; its domain, TLS certificate and the forward of `answer` are added. */
  kamailio: Omit<KamailioOptions, 'domain' | 'tls' | 'forward'>;
  /** sip.accounts (YAML flow), given the started Kamailio and the CA. */
  accounts(kamailio: Kamailio, ca: TestCa): string;
  /** The phone-book entry's name for each account id (routing `answer` on it). */
  entries: Record<string, string>;
}

export class SecureSipCalls {
  ca?: TestCa;
  kamailio?: Kamailio;
  sipp?: Sipp;
  ear?: RtpCounter;
  gw?: Gw;
  site?: SiteFixture;
  /** Phone-book entry ids by account id. */
  readonly entries: Record<string, string> = {};
  readonly open: Socket[] = [];
  readonly udp: RtpCounter[] = [];
  readonly timers: NodeJS.Timeout[] = [];

  /** Starts the CA, the UAS, Kamailio, the gateway, seeds the site and its entries (what started is closed by `close` even if one fails). */
  async start(opts: SecureSipCallsOptions): Promise<void> {
    const ca = this.ca = await TestCa.create('Portier test PBX CA');
    const ear = this.ear = new RtpCounter();
    const sipp = this.sipp = await Sipp.uas(join(SCENARIOS, 'answer.xml'), { rtp_port: await ear.bind() });
    const kamailio = this.kamailio = await Kamailio.start({
      domain: DOMAIN, ...opts.kamailio,
      tls: await ca.server('pbx.portier.test', { dns: ['pbx.portier.test'], ip: ['127.0.0.1'] }),
      forward: { answer: { host: '127.0.0.1', port: sipp.port } },
    });
    const gw = this.gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__RTP_PORT_MIN: String(opts.rtpPorts.min),
      PORTIER_SIP__RTP_PORT_MAX: String(opts.rtpPorts.max),
      PORTIER_SIP__ACCOUNTS: opts.accounts(kamailio, ca),
    });
    const site = this.site = await seedSite(gw);
    for (const [account, name] of Object.entries(opts.entries)) {
      const res = await site.admin.post('/api/sites/hq/phonebook', {
        kind: 'person', name, routes: [{ type: 'sip', accountId: account, user: 'answer' }], policy: { legTimeoutS: 120, capS: 300 },
      });
      expect(res.status).toBe(201);
      this.entries[account] = res.body.id;
    }
  }

  /**
   * The answered call's audio both ways: the terminal's media played by Node (PCMA) consumes the phone's, the UAS's
   * RTP socket hears 25 packets more than it had (it counts every call of the file), the terminal's hears 25.
   */
  async audioBothWays(callId: string): Promise<void> {
    const call = this.gw!.gateway.services.calls.get(callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    const { mic, hear, stop } = await pcmaMic(call.media as SfuCallMedia, this.site!.terminal.id, 0x5eed, { timers: this.timers, counters: this.udp });
    await hear((id) => id === phone.id);
    const heard = this.ear!.count(8);
    await this.ear!.reach(8, heard + 25);
    await mic.reach(8, 25);
    stop();
  }

  /** Timers and sockets, the gateway, Kamailio, the UAS, the RTP counters, the CA. */
  async close(): Promise<void> {
    this.timers.forEach((t) => clearInterval(t));
    this.open.forEach((s) => s.close());
    await this.gw?.close();
    await this.kamailio?.close();
    await this.sipp?.close();
    for (const c of [this.ear, ...this.udp]) c?.close();
    this.ca?.close();
  }
}
