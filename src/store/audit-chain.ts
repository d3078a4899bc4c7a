// The audit log's hash chain (issue 15, slice 4): each entry stores
// sha256(previous entry's hash || canonical entry), so changing, removing or
// reordering any entry breaks every hash after it. One definition for the
// migration that chains the entries already there and for every append.
import { hash } from 'node:crypto';

/** The "previous hash" of the very first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's hash covers: all of them, seq included. */
export interface ChainedFields {
  seq: number;
  at: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  site_id: string | null;
  correlation_id: string | null;
  details: string | null;
}

/** The entry as one unambiguous string (a JSON array in a fixed field order; details as stored). */
export const canonicalEntry = (e: ChainedFields): string => JSON.stringify([
  e.seq, Number(e.at), e.actor_type, e.actor_id, e.action, e.target_type, e.target_id, e.outcome, e.site_id, e.correlation_id, e.details,
]);

/**
 * The entry's hash, hex: sha256(prevHash || "\n" || canonical entry). One-shot
 * (`crypto.hash`): a third of a Hash object's cost, and every card read appends three.
 */
export const entryHash = (prevHash: string, e: ChainedFields): string => hash('sha256', `${prevHash}\n${canonicalEntry(e)}`, 'hex');
