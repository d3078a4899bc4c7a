// YAML rule seeds under config/rules/: read-only, validated as a whole (a bad
// file is rejected with file, rule and field, and the previous rules stay),
// watched for changes and reloaded without touching connections.
import { readdirSync, readFileSync, watch, existsSync, type FSWatcher } from 'node:fs';
import { join, basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Logger } from 'pino';
import type { Clock } from '../../core/index.ts';
import { parseRule, type Rule } from './rule-schema.ts';

export class RuleFileError extends Error {
  readonly file: string;
  readonly rule: string | undefined;
  readonly field: string | undefined;
  constructor(file: string, rule: string | undefined, field: string | undefined, message: string) {
    super(`rules: file ${file}${rule ? `: rule ${rule}` : ''}${field ? `: field ${field}` : ''}: ${message}`);
    this.name = 'RuleFileError';
    this.file = file;
    this.rule = rule;
    this.field = field;
  }
}

/** Reads every *.yaml / *.yml in `dir`: each holds `rules: [...]` or one rule. Throws RuleFileError. */
export function readRuleFiles(dir: string): Array<{ file: string; rule: Rule }> {
  if (!existsSync(dir)) return [];
  const out: Array<{ file: string; rule: Rule }> = [];
  const seen = new Map<string, string>();
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(join(dir, name), 'utf8'));
    } catch (error) {
      throw new RuleFileError(name, undefined, undefined, `not YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (doc == null) continue;
    const list = typeof doc === 'object' && !Array.isArray(doc) && 'rules' in doc ? (doc as { rules: unknown }).rules : [doc];
    if (!Array.isArray(list)) throw new RuleFileError(name, undefined, '/rules', 'must be a list of rules');
    list.forEach((item: unknown, i) => {
      const id = typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string' ? (item as { id: string }).id : `#${i + 1}`;
      const parsed = parseRule(item);
      if (!parsed.ok) throw new RuleFileError(name, id, parsed.field, parsed.message);
      const other = seen.get(parsed.rule.id);
      if (other) throw new RuleFileError(name, id, '/id', `duplicate of a rule in ${other}`);
      seen.set(parsed.rule.id, name);
      out.push({ file: basename(name), rule: parsed.rule });
    });
  }
  return out;
}

/** Watches `dir` and calls `onChange` (debounced) after files change. */
export class RuleFileWatcher {
  readonly #watcher?: FSWatcher;
  readonly #clock: Clock;
  #timer?: NodeJS.Timeout;
  #closed = false;

  constructor(dir: string, clock: Clock, logger: Logger, onChange: () => void, debounceMs = 150) {
    this.#clock = clock;
    if (!existsSync(dir)) return;
    try {
      this.#watcher = watch(dir, () => {
        if (this.#closed) return;
        if (this.#timer) this.#clock.clearTimeout(this.#timer);
        this.#timer = this.#clock.setTimeout(() => { this.#timer = undefined; if (!this.#closed) onChange(); }, debounceMs);
      });
      this.#watcher.on('error', (error) => logger.warn({ err: error }, 'rules: watching the rule files failed'));
    } catch (error) {
      logger.warn({ dir, err: error }, 'rules: cannot watch the rule files; changes need a restart');
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#watcher?.close();
  }
}
