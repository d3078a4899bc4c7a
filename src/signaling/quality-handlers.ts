// quality.report, the same for terminals and desks: a page's getStats report on
// its own leg goes to the quality monitor, which answers with the leg's latest MOS
// (the page's signal indicator) and the interval to report at.
import type { QualityEvents } from './contract.ts';
import type { Handlers } from './dispatch.ts';
import type { SignalingContext } from './context.ts';

export function qualityHandlers(ctx: SignalingContext, me: string): Handlers<typeof QualityEvents> {
  return {
    'quality.report': async ({ callId, ...report }) => ctx.quality.report(callId, me, report),
  };
}
