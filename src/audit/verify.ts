// Verifies the audit log's hash chain: from the anchor (where a pruned log
// starts, or the genesis) every entry must follow the one before without a gap
// and carry the hash of the entry before and itself; each checkpoint taken must
// still match its entry. Reports the first seq where this breaks.
import { entryHash, type Db } from '../store/index.ts';

export type ChainReport =
  | { ok: true; entries: number; first: number | null; head: { seq: number; hash: string } | null }
  | { ok: false; brokenSeq: number; reason: 'hash' | 'missing' | 'checkpoint'; entries: number };

const BATCH = 1000;

export async function verifyChain(db: Db): Promise<ChainReport> {
  const anchor = await db.selectFrom('audit_chain_anchor').select(['seq', 'prev_hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  let expected = anchor.seq;
  let prev = anchor.prev_hash;
  let entries = 0;
  const checkpoints = new Map((await db.selectFrom('audit_checkpoints').select(['seq', 'hash']).where('seq', '>=', anchor.seq).execute()).map((c) => [c.seq, c.hash]));
  for (;;) {
    // Entries below the anchor would be entries pruned in appearance only: the first found must be the anchor's.
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>=', entries === 0 ? 1 : expected)
      .orderBy('seq').limit(BATCH).execute();
    for (const row of rows) {
      if (row.seq !== expected) return { ok: false, brokenSeq: Math.min(row.seq, expected), reason: row.seq > expected ? 'missing' : 'hash', entries };
      const hash = entryHash(prev, row);
      if (row.hash !== hash) return { ok: false, brokenSeq: row.seq, reason: 'hash', entries };
      const checkpoint = checkpoints.get(row.seq);
      if (checkpoint !== undefined && checkpoint !== hash) return { ok: false, brokenSeq: row.seq, reason: 'checkpoint', entries };
      prev = hash;
      expected += 1;
      entries += 1;
    }
    if (rows.length < BATCH) break;
  }
  // A checkpoint beyond the newest entry: entries were cut off the end.
  const beyond = [...checkpoints.keys()].filter((seq) => seq >= expected);
  if (beyond.length > 0) return { ok: false, brokenSeq: expected, reason: 'missing', entries };
  return { ok: true, entries, first: entries ? anchor.seq : null, head: entries ? { seq: expected - 1, hash: prev } : null };
}

/** The report as `portier audit verify` prints it (English / German). */
export function formatChainReport(r: ChainReport): string {
  if (!r.ok) {
    return `audit verify: chain broken at seq ${r.brokenSeq} (${r.reason}), ${r.entries} entries before it intact / Kette unterbrochen bei seq ${r.brokenSeq} (${r.reason}), ${r.entries} Einträge davor intakt\n`;
  }
  if (r.head === null) return 'audit verify: ok, no entries / in Ordnung, keine Einträge\n';
  return `audit verify: ok, ${r.entries} entries, seq ${r.first} to ${r.head.seq}, head ${r.head.hash} / in Ordnung, ${r.entries} Einträge\n`;
}
