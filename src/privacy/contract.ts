// The privacy contract: every component that stores personal data says what it
// stores (describe), hands out everything about one person (export), erases it
// (erase) and deletes what outlived its retention period (prune).
import type { Actor } from '../audit/index.ts';

/** Who a request is about: a user account, a card holder (visit id / holder reference), a phone-book entry. */
export const SUBJECT_KINDS = ['user', 'card-holder', 'phonebook-entry'] as const;
export type SubjectKind = typeof SUBJECT_KINDS[number];
export interface Subject { kind: SubjectKind; id: string }

/**
 * Whose pseudonym keys in the audit log belong to a subject (besides the cards
 * it holds): a user's cards name them as card holder too (holder_ref = user id).
 */
export const subjectKeyKinds = (kind: SubjectKind): SubjectKind[] =>
  kind === 'user' ? ['user', 'card-holder'] : [kind];

export const isSubjectKind = (kind: string): kind is SubjectKind => (SUBJECT_KINDS as readonly string[]).includes(kind);

/** One category of personal data a holder stores. */
export interface DataCategory {
  /** Stable name, e.g. "call-records". */
  category: string;
  /** Where it lives: table (and columns) or file. */
  where: string;
  /** The stored fields that can identify a person. */
  fields: string[];
  purpose: string;
  /** Config key of its retention period, or a sentence when it has none (kept until erased). */
  retentionKey: string;
  /** The retention period in effect, in days; null: kept until erased or while its purpose lasts. */
  retentionDays: number | null;
  /** The subject kinds export and erase answer for in this category. */
  subjects: SubjectKind[];
}

/** Rows (or other items) per category: what erase and prune report. */
export type Counts = Record<string, number>;

export interface PersonalDataHolder {
  /** Short name, the key of its part in an export. */
  readonly name: string;
  describe(): DataCategory[];
  /** Everything this holder stores about `subject`, as plain JSON; empty arrays/null when nothing. */
  export(subject: Subject): Promise<Record<string, unknown>>;
  /** Erases (or anonymises, where statistics must stay) what it stores about `subject`; `by` is audited where the holder audits its own changes. */
  erase(subject: Subject, by: Actor): Promise<Counts>;
  /** Deletes what is older than its retention period at `now`. */
  prune(now: number): Promise<Counts>;
}

export const DAY_MS = 86_400_000;

export const total = (counts: Counts): number => Object.values(counts).reduce((a, b) => a + b, 0);
