// Verifies the audit log's hash chain: from the anchor (where a pruned log
// starts, or the genesis) every entry must follow the one before without a gap
// and carry the hash of the entry before and itself; each checkpoint taken must
// still match its entry. Reports the first seq where this breaks.
// Against checkpoints received off the box (what the collector kept) it also
// proves what a writer with the file cannot re-chain away: the entry at each
// such checkpoint still has that hash, and an anchor later than the checkpoint's
// is recorded by an audit.prune entry chained after it; and no audit.prune entry
// before a checkpoint is dated after it (a prune forged through SQL dates its
// entry ahead so that recent entries fall before its cutoff).
import { readFileSync } from 'node:fs';
import { entryHash, type Db } from '../store/index.ts';

export type ChainReport =
  | { ok: true; entries: number; first: number | null; head: { seq: number; hash: string } | null }
  /**
   * off-box: the entry at an off-box checkpoint's seq is gone or has another hash;
   * anchor: the chain starts later than an off-box checkpoint allows (no audit.prune after it records this anchor), or earlier,
   * or an audit.prune entry is dated after a checkpoint taken after it (a forged prune).
   */
  | { ok: false; brokenSeq: number; reason: 'hash' | 'missing' | 'checkpoint' | 'off-box' | 'anchor'; entries: number };

/** A checkpoint as the collector received it (`at`: when it was taken); the anchor and time are absent when only `seq:hash` is known. */
export interface OffBoxCheckpoint { seq: number; hash: string; anchor?: { seq: number; prevHash: string }; at?: number }

/**
 * How much later than a checkpoint taken after it a prune's entry may be dated
 * (a clock stepped back in between). A prune may delete only entries older than
 * AUDIT_MIN_RETENTION_DAYS (30) before its own entry's time: one that deleted
 * entries younger than 29 days had to date its entry this far ahead.
 */
const PRUNE_AHEAD_MS = 86_400_000;

const BATCH = 1000;
const HASH = /^[0-9a-f]{64}$/;

export async function verifyChain(db: Db, offBox: readonly OffBoxCheckpoint[] = []): Promise<ChainReport> {
  const anchor = await db.selectFrom('audit_chain_anchor').select(['seq', 'prev_hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  let expected = anchor.seq;
  let prev = anchor.prev_hash;
  let entries = 0;
  const checkpoints = new Map((await db.selectFrom('audit_checkpoints').select(['seq', 'hash']).where('seq', '>=', anchor.seq).execute()).map((c) => [c.seq, c.hash]));
  const wanted = new Map<number, string>(offBox.map((c) => [c.seq, '']));
  let lastPrune: { seq: number; anchor: unknown } | undefined;
  const prunes: Array<{ seq: number; at: number }> = [];
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
      if (wanted.has(row.seq)) wanted.set(row.seq, hash);
      if (row.action === 'audit.prune') {
        lastPrune = { seq: row.seq, anchor: row.details ? (JSON.parse(row.details) as { anchor?: unknown }).anchor : undefined };
        prunes.push({ seq: row.seq, at: row.at });
      }
      prev = hash;
      expected += 1;
      entries += 1;
    }
    if (rows.length < BATCH) break;
  }
  // A checkpoint beyond the newest entry: entries were cut off the end.
  const beyond = [...checkpoints.keys()].filter((seq) => seq >= expected);
  if (beyond.length > 0) return { ok: false, brokenSeq: expected, reason: 'missing', entries };
  for (const c of [...offBox].sort((a, b) => a.seq - b.seq)) {
    const broken = offBoxMismatch(c, { seq: anchor.seq, prevHash: anchor.prev_hash }, wanted.get(c.seq) ?? '', lastPrune);
    if (broken) return { ok: false, ...broken, entries: Math.max(0, Math.min(c.seq, expected) - anchor.seq) };
    const ahead = c.at === undefined ? undefined : prunes.find((p) => p.seq <= c.seq && p.at > c.at! + PRUNE_AHEAD_MS);
    if (ahead) return { ok: false, brokenSeq: ahead.seq, reason: 'anchor', entries: ahead.seq - anchor.seq };
  }
  return { ok: true, entries, first: entries ? anchor.seq : null, head: entries ? { seq: expected - 1, hash: prev } : null };
}

function offBoxMismatch(
  c: OffBoxCheckpoint, anchor: { seq: number; prevHash: string }, localHash: string, lastPrune: { seq: number; anchor: unknown } | undefined,
): { brokenSeq: number; reason: 'off-box' | 'anchor' } | null {
  if (c.anchor && (anchor.seq < c.anchor.seq || (anchor.seq === c.anchor.seq && anchor.prevHash !== c.anchor.prevHash))) return { brokenSeq: anchor.seq, reason: 'anchor' };
  const moved = c.anchor ? anchor.seq > c.anchor.seq : c.seq < anchor.seq;
  if (moved) {
    // Only a prune after the checkpoint moves the anchor, and it recorded where to (its entry is chained, so it cannot be made up before c).
    const recorded = lastPrune !== undefined && lastPrune.seq > c.seq && sameAnchor(lastPrune.anchor, anchor);
    if (!recorded) return { brokenSeq: anchor.seq, reason: 'anchor' };
  }
  if (c.seq >= anchor.seq && localHash !== c.hash) return { brokenSeq: c.seq, reason: 'off-box' };
  return null;
}

function sameAnchor(recorded: unknown, anchor: { seq: number; prevHash: string }): boolean {
  const r = recorded as { seq?: unknown; prevHash?: unknown } | null | undefined;
  return r?.seq === anchor.seq && r?.prevHash === anchor.prevHash;
}

/**
 * Off-box checkpoints for `portier audit verify --checkpoint`: `seq:hash`, or
 * a JSON file of what the collector received (one webhook body or an array of them).
 */
export function readOffBoxCheckpoints(value: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): OffBoxCheckpoint[] {
  const pair = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (pair) return [{ seq: Number(pair[1]), hash: pair[2]! }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFile(value));
  } catch (error) {
    throw new Error(`--checkpoint must be seq:hash or a JSON file of received checkpoints: ${value} (${error instanceof Error ? error.message : String(error)})`);
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).map((body, i) => offBoxCheckpoint(body, `${value}[${i}]`));
}

function offBoxCheckpoint(body: unknown, where: string): OffBoxCheckpoint {
  const b = body as { seq?: unknown; hash?: unknown; at?: unknown; anchor?: { seq?: unknown; prevHash?: unknown } } | null;
  const seqOk = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  const hashOk = (v: unknown): v is string => typeof v === 'string' && HASH.test(v);
  if (!b || !seqOk(b.seq) || !hashOk(b.hash)) throw new Error(`--checkpoint ${where}: needs an integer seq and a sha256 hash`);
  const at = b.at === undefined ? undefined : Date.parse(String(b.at));
  if (at !== undefined && Number.isNaN(at)) throw new Error(`--checkpoint ${where}: at must be an ISO time`);
  const when = at === undefined ? {} : { at };
  if (b.anchor === undefined) return { seq: b.seq, hash: b.hash, ...when };
  if (!seqOk(b.anchor.seq) || !hashOk(b.anchor.prevHash)) throw new Error(`--checkpoint ${where}: anchor needs an integer seq and a sha256 prevHash`);
  return { seq: b.seq, hash: b.hash, anchor: { seq: b.anchor.seq, prevHash: b.anchor.prevHash }, ...when };
}

/** The report as `portier audit verify` prints it (English / German). */
export function formatChainReport(r: ChainReport): string {
  if (!r.ok) {
    return `audit verify: chain broken at seq ${r.brokenSeq} (${r.reason}), ${r.entries} entries before it intact / Kette unterbrochen bei seq ${r.brokenSeq} (${r.reason}), ${r.entries} Einträge davor intakt\n`;
  }
  if (r.head === null) return 'audit verify: ok, no entries / in Ordnung, keine Einträge\n';
  return `audit verify: ok, ${r.entries} entries, seq ${r.first} to ${r.head.seq}, head ${r.head.hash} / in Ordnung, ${r.entries} Einträge\n`;
}
