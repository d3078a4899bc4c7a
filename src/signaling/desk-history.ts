// A desk user's call history as the softphone shows it: the call records of
// calls this user took part in or was rung for by name (CallRecords.historyOf,
// nobody else's), each with the terminal's label and the chosen entry's name
// looked up now (a deleted entry or terminal: an empty name).
import type { CallRow } from '../calls/index.ts';
import type { SignalingContext } from './context.ts';

export type DeskHistoryItem = Pick<CallRow, 'id' | 'started_at' | 'answered_at' | 'ended_at' | 'outcome' | 'end_reason'> & {
  terminalName: string;
  /** The caller was a telephone (inbound SIP): no terminal name, the desk shows 'Telephone' (never the number). */
  fromPhone: boolean;
  entryName: string;
  /** Whether this user answered the call (else someone else did, or nobody). */
  answeredByMe: boolean;
};

/** A call from a telephone: its "terminal" is the SIP participant (`sip-…`, src/sip-bridge/sip-inbound.ts), no kiosk. */
export const isPhoneCaller = (terminalId: string): boolean => terminalId.startsWith('sip-');

export async function deskHistory(ctx: SignalingContext, userId: string, limit: number): Promise<DeskHistoryItem[]> {
  await ctx.calls.recordsWritten();
  const rows = await ctx.records.historyOf(userId, limit);
  const labels = new Map<string, Promise<string>>();
  const label = (terminalId: string) => {
    let l = labels.get(terminalId);
    if (!l) labels.set(terminalId, (l = ctx.terminalInfo(terminalId).then((t) => t?.label ?? '', () => '')));
    return l;
  };
  return Promise.all(rows.map(async (r) => ({
    id: r.id, started_at: r.started_at, answered_at: r.answered_at, ended_at: r.ended_at, outcome: r.outcome, end_reason: r.end_reason,
    terminalName: isPhoneCaller(r.terminal_id) ? '' : await label(r.terminal_id),
    fromPhone: isPhoneCaller(r.terminal_id),
    entryName: ctx.phonebook.find(r.entry_id)?.name ?? '',
    answeredByMe: r.answered_by === userId,
  })));
}
