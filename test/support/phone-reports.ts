// Waits on the phone's receiver reports as the relay reads them (PhoneRtcp's
// 'report'), bounded: a report that never comes fails by name, with what the
// relay did get, instead of hanging the test until vitest's own timeout.
import type { FarEndReport } from '../../src/calls/index.ts';
import type { RtpRelay } from '../../src/sip-bridge/index.ts';

/** How long a wait for the phone's report may take (a phone reports every few seconds): a bound against a hang, not a figure. */
export const REPORT_WAIT_MS = 60_000;

const gotSoFar = (relay: RtpRelay): string => {
  const { reports, otherSsrc, refused } = relay.rtcp.counters;
  return `reports ${reports}, on other SSRCs ${otherSsrc}, refused ${JSON.stringify(refused)}`;
};

/** The relay's next report from the phone that `where` accepts; fails after `timeoutMs` naming `what`. */
export function phoneReport(relay: RtpRelay, what: string, where: (r: FarEndReport) => boolean = () => true, timeoutMs = REPORT_WAIT_MS): Promise<FarEndReport> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(timer);
      relay.rtcp.off('report', on);
    };
    const on = (r: FarEndReport): void => {
      if (!where(r)) return;
      stop();
      resolve(r);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no report from the phone: ${what}, within ${timeoutMs} ms (${gotSoFar(relay)})`));
    }, timeoutMs);
    relay.rtcp.on('report', on);
  });
}

/** The phone's latest report as the relay reads them, from now until close(). */
export class LatestPhoneReport {
  latest: FarEndReport | undefined;
  readonly #relay: RtpRelay;
  readonly #on = (r: FarEndReport): void => { this.latest = r; };

  constructor(relay: RtpRelay) {
    this.#relay = relay;
    relay.rtcp.on('report', this.#on);
  }

  close(): void { this.#relay.rtcp.off('report', this.#on); }
}
