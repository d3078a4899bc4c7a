// Counts the SQLite statements this process executes, by kind (`insert audit_log`,
// `select cards`, `begin`…), through the one prototype every better-sqlite3
// Statement shares: how many statements a path runs is a mechanism that holds on
// a loaded machine, unlike its duration. Used by tests and bench/hub-stats.ts.
import Database from 'better-sqlite3';

type Exec = 'run' | 'get' | 'all' | 'iterate';
const EXECS: readonly Exec[] = ['run', 'get', 'all', 'iterate'];

const kinds = new Map<string, string>();
/** `insert audit_log`, `select cards`, `commit`…: the statement's verb and the table it names first. */
export function statementKind(source: string): string {
  let kind = kinds.get(source);
  if (kind === undefined) {
    const verb = /^\s*(\w+)/.exec(source)?.[1]?.toLowerCase() ?? '?';
    const table = /\b(?:into|from|update)\s+"?(\w+)/i.exec(source)?.[1];
    kind = table && verb !== 'savepoint' && verb !== 'release' ? `${verb} ${table}` : verb;
    kinds.set(source, kind);
  }
  return kind;
}

/**
 * Calls `around(kind, execute)` for every statement executed from now on (it
 * must call `execute` and return its result); `stop()` puts the originals back.
 */
export function interceptStatements(around: (kind: string, execute: () => unknown) => unknown): { stop: () => void } {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<Exec, (...args: unknown[]) => unknown> & { source: string };
  probe.close();
  const originals = EXECS.map((method) => [method, proto[method]] as const);
  for (const [method, original] of originals) {
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      return around(statementKind(this.source), () => original.apply(this, args));
    };
  }
  return { stop: () => { for (const [method, original] of originals) proto[method] = original; } };
}

/** Counts statements by kind until `stop()`; `take()` answers the counts so far and starts over. */
export function countStatements(): { take: () => Record<string, number>; stop: () => void } {
  let counts: Record<string, number> = {};
  const { stop } = interceptStatements((kind, execute) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    return execute();
  });
  return { take: () => { const taken = counts; counts = {}; return taken; }, stop };
}
