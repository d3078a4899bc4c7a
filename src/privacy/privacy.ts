// The privacy service: the holders the composition root registers, the
// inventory they describe, a subject's export and erasure (each audited: reading
// personal data is input control too) and the retention job on the clock.
import { InvalidError, type Clock } from '../core/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { JournalWipe } from './journal-wipe.ts';
import { isSubjectKind, subjectKeyKinds, SUBJECT_KINDS, total, type Counts, type DataCategory, type PersonalDataHolder, type Subject } from './contract.ts';

export interface PrivacyLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PrivacyDeps {
  holders: readonly PersonalDataHolder[];
  audit: AuditLog;
  clock: Clock;
  logger: PrivacyLogger;
  /** How often the retention job runs, in ms. */
  pruneEveryMs: number;
  /**
   * Run after every erasure: empties the databases' write-ahead logs, whose old
   * page images still hold what was erased (secure_delete zeroes the database
   * files themselves). Returns false when a WAL could not be emptied yet.
   */
  wipeJournals?: () => Promise<boolean>;
  /**
   * Deletes a person's pseudonym keys in the audit log (SubjectKeys.shred):
   * run after the erasure's own audit entry, which is written under them too.
   * Afterwards no entry can be linked to the person.
   */
  shredKeys?: (id: string, kinds: Subject['kind'][]) => Promise<number>;
}

export interface SubjectExport {
  subject: Subject;
  exportedAt: string;
  /** Each holder's part, by holder name. */
  data: Record<string, Record<string, unknown>>;
}

export interface PruneResult {
  /** Counts per holder; a holder whose pass failed is listed in `failed` instead. */
  pruned: Record<string, Counts>;
  failed: string[];
}

export class UnknownSubjectKindError extends InvalidError {
  constructor(kind: string) {
    super(`unknown subject kind "${kind}" (one of ${SUBJECT_KINDS.join(', ')}) / unbekannte Art betroffener Person "${kind}" (eine von ${SUBJECT_KINDS.join(', ')})`);
    this.name = 'UnknownSubjectKindError';
  }
}

export class Privacy {
  readonly #holders: readonly PersonalDataHolder[];
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #logger: PrivacyLogger;
  readonly #everyMs: number;
  readonly #journals: JournalWipe;
  readonly #shredKeys: PrivacyDeps['shredKeys'];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PruneResult> | undefined;
  #closed = false;

  constructor(deps: PrivacyDeps) {
    const names = deps.holders.map((h) => h.name);
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (twice.length) throw new Error(`privacy: holder names must be unique (${twice.join(', ')})`);
    this.#holders = [...deps.holders];
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#everyMs = deps.pruneEveryMs;
    this.#journals = new JournalWipe({ wipe: deps.wipeJournals ?? (async () => true), clock: deps.clock, logger: deps.logger });
    this.#shredKeys = deps.shredKeys;
  }

  /** Every category of personal data the registered holders store. */
  inventory(): Array<DataCategory & { holder: string }> {
    return this.#holders.flatMap((h) => h.describe().map((c) => ({ holder: h.name, ...c })));
  }

  /** Subject from the API's words; throws UnknownSubjectKindError for a kind nobody stores. */
  static subject(kind: string, id: string): Subject {
    if (!isSubjectKind(kind)) throw new UnknownSubjectKindError(kind);
    return { kind, id };
  }

  /** Everything stored about `subject`, machine-readable; the read is audited. */
  async export(subject: Subject, by: Actor): Promise<SubjectExport> {
    const data: SubjectExport['data'] = {};
    for (const h of this.#holders) data[h.name] = await h.export(subject);
    await this.#audit.append({
      actor: by, action: 'privacy.export', target: { type: subject.kind, id: subject.id }, outcome: 'ok',
      details: { holders: this.#holders.map((h) => h.name) },
    });
    return { subject, exportedAt: new Date(this.#clock.now()).toISOString(), data };
  }

  /**
   * Erases `subject` in every holder; the audit entry counts what went per holder.
   * A holder that fails stops the erasure (audited as failed with what was done so far) so it can be repeated.
   */
  async erase(subject: Subject, by: Actor): Promise<Record<string, Counts>> {
    const erased: Record<string, Counts> = {};
    try {
      for (const h of this.#holders) erased[h.name] = await h.erase(subject, by);
    } catch (error) {
      await this.#audit.append({ actor: by, action: 'privacy.erase', target: { type: subject.kind, id: subject.id }, outcome: 'failed', details: { erased } });
      await this.#wipe();
      throw error;
    }
    await this.#audit.append({ actor: by, action: 'privacy.erase', target: { type: subject.kind, id: subject.id }, outcome: 'ok', details: { erased } });
    // A failed erasure (above) keeps the keys: it is repeated, and its entries must still name the same pseudonyms.
    await this.#shredKeys?.(subject.id, subjectKeyKinds(subject.kind));
    await this.#wipe();
    return erased;
  }

  /** The erasure stands either way; a WAL a reader still holds is emptied on a retry (JournalWipe). */
  async #wipe(): Promise<void> {
    await this.#journals.request();
  }

  /** Resolves once no write-ahead log still holds erased or pruned data (a wipe was refused and is retried meanwhile). */
  journalsEmptied(): Promise<void> {
    return this.#journals.whenEmptied();
  }

  /** Whether a write-ahead log could not be emptied yet and the wipe is being retried. */
  get journalsOwed(): boolean {
    return this.#journals.owed;
  }

  /** One retention pass over every holder; one failing holder does not stop the others. A pass already running is joined, not doubled. */
  prune(): Promise<PruneResult> {
    this.#running ??= this.#prune().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  async #prune(): Promise<PruneResult> {
    const now = this.#clock.now();
    const result: PruneResult = { pruned: {}, failed: [] };
    for (const h of this.#holders) {
      try {
        result.pruned[h.name] = await h.prune(now);
      } catch (error) {
        result.failed.push(h.name);
        this.#logger.error({ err: error, holder: h.name }, 'privacy: retention pass failed / Löschlauf fehlgeschlagen');
      }
    }
    const deleted = Object.values(result.pruned).reduce((n, c) => n + total(c), 0);
    if (deleted > 0) {
      this.#logger.info({ pruned: result.pruned }, 'privacy: retention pruned / Aufbewahrungsfrist abgelaufen, gelöscht');
      // What expired must not stay readable in a journal either.
      await this.#wipe();
    }
    return result;
  }

  /** Runs a pass now, then every `pruneEveryMs` on the clock. */
  async start(): Promise<void> {
    await this.prune();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#schedule();
      void this.prune();
    }, this.#everyMs);
  }

  /** Stops the schedule and waits for a running pass. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    this.#journals.close();
  }
}
