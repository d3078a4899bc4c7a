// A holder's retention pass: its deletes and the audit entry counting them in one transaction.
import type { Store, Tx } from '../store/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { total, type Counts } from './contract.ts';

export async function auditedPrune(store: Store, audit: AuditLog, holder: string, details: Record<string, unknown>, work: (tx: Tx) => Promise<Counts>): Promise<Counts> {
  return store.transaction(async (tx) => {
    const counts = await work(tx);
    if (total(counts) > 0) {
      await audit.append({ actor: { type: 'system', id: null }, action: 'retention.prune', outcome: 'ok', details: { holder, ...counts, ...details } }, tx);
    }
    return counts;
  });
}
