// Reads config/default.yaml, then a local file, then PORTIER_* environment
// variables, and validates the result against the schema.
import { readFileSync, existsSync } from 'node:fs';
import { resolve, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, type Config } from './schema.ts';

/** A bad configuration value; `message` is the one line shown to the operator. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export interface LoadOptions {
  /** Directory holding default.yaml (and local.yaml unless `file` is given). */
  configDir: string;
  /** Explicit override file (`--config FILE`). */
  file?: string;
  env: NodeJS.ProcessEnv;
  /** Relative paths in the config resolve against this directory. */
  cwd: string;
}

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? merge(current, value) : value;
  }
  return out;
}

function readYaml(path: string): Tree {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, `config: cannot read ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed == null) return {};
  if (!isTree(parsed)) throw new ConfigError(path, `config: ${path} must hold a mapping of keys`);
  return parsed;
}

/** PORTIER_HTTP__PORT=8080 → { http: { port: 8080 } }; values are YAML scalars or flow collections. */
export function envOverrides(env: NodeJS.ProcessEnv): Tree {
  const out: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('PORTIER_') || raw === undefined) continue;
    const path = name.slice('PORTIER_'.length).toLowerCase().split('__');
    let value: unknown;
    try {
      value = raw === '' ? '' : parseYaml(raw);
    } catch {
      value = raw;
    }
    let node = out;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
      } else {
        if (!isTree(node[segment])) node[segment] = {};
        node = node[segment] as Tree;
      }
    });
  }
  return out;
}

function describeAllowed(schema: TSchema | undefined): string {
  if (!schema) return 'see config/default.yaml';
  if (schema.anyOf) return `one of ${schema.anyOf.map((s: TSchema) => JSON.stringify(s.const)).join(', ')}`;
  const parts: string[] = [];
  if (schema.type === 'integer' || schema.type === 'number') {
    parts.push(schema.type === 'integer' ? 'an integer' : 'a number');
    const min = schema.minimum ?? schema.exclusiveMinimum;
    if (min !== undefined && schema.maximum !== undefined) parts.push(`from ${min} to ${schema.maximum}`);
  } else if (schema.type === 'string') {
    parts.push(schema.minLength ? 'a non-empty string' : 'a string');
    if (schema.pattern) parts.push(`matching ${schema.pattern}`);
  } else if (schema.type === 'boolean') {
    parts.push('true or false');
  } else if (schema.type === 'array') {
    parts.push(schema.minItems ? `a list of at least ${schema.minItems}` : 'a list');
  } else if (schema.type === 'object') {
    parts.push(`a mapping with keys ${Object.keys(schema.properties ?? {}).join(', ')}`);
  }
  return parts.join(' ') || 'see config/default.yaml';
}

/** Keys whose values are secrets (the last segment of the key path). */
const SECRET_KEY = /(^|\.)[a-z_]*(password|secret|token|key|url)$/i;

/** Validates a merged tree; throws ConfigError naming the first bad key. */
export function validateConfig(tree: unknown): Config {
  const first = Value.Errors(ConfigSchema, tree).First();
  if (!first) return tree as Config;
  const key = first.path.replace(/^\//, '').replaceAll('/', '.') || '(root)';
  if (first.value === undefined) {
    // Either a required key is missing or an unknown key was given.
    const unknown = /Unexpected property/i.test(first.message);
    throw new ConfigError(key, unknown
      ? `config: unknown key ${key}; see config/default.yaml for the allowed keys`
      : `config: ${key} is missing; allowed: ${describeAllowed(first.schema)}`);
  }
  if (/Unexpected property/i.test(first.message)) {
    throw new ConfigError(key, `config: unknown key ${key}; see config/default.yaml for the allowed keys`);
  }
  // A secret's value never reaches the terminal or the journal, not even a bad one.
  // A mapping or list may hold secrets further down: only its kind is shown.
  const shown = SECRET_KEY.test(key) ? '(hidden)'
    : typeof first.value === 'object' && first.value !== null ? (Array.isArray(first.value) ? 'a list' : 'a mapping')
      : JSON.stringify(first.value);
  throw new ConfigError(key, `config: ${key} = ${shown} is invalid; allowed: ${describeAllowed(first.schema)}`);
}

export function loadConfig(options: LoadOptions): Config {
  let tree = readYaml(join(options.configDir, 'default.yaml'));
  const local = options.file ? resolve(options.cwd, options.file) : join(options.configDir, 'local.yaml');
  if (options.file && !existsSync(local)) throw new ConfigError('--config', `config: file not found: ${local}`);
  if (existsSync(local)) tree = merge(tree, readYaml(local));
  tree = merge(tree, envOverrides(options.env));
  const config = validateConfig(tree);
  if (config.rtc.min_port > config.rtc.max_port) {
    throw new ConfigError('rtc.min_port', `config: rtc.min_port = ${config.rtc.min_port} is invalid; allowed: at most rtc.max_port (${config.rtc.max_port})`);
  }
  if (config.sip.rtp_port_min >= config.sip.rtp_port_max) {
    throw new ConfigError('sip.rtp_port_min', `config: sip.rtp_port_min = ${config.sip.rtp_port_min} is invalid; allowed: below sip.rtp_port_max (${config.sip.rtp_port_max})`);
  }
  const dataDir = isAbsolute(config.data_dir) ? config.data_dir : resolve(options.cwd, config.data_dir);
  const storePath = config.store.path === '' ? join(dataDir, 'portier.db') : resolve(options.cwd, config.store.path);
  const fromCwd = (p: string) => (p === '' ? '' : resolve(options.cwd, p));
  return {
    ...config,
    data_dir: dataDir,
    store: { path: storePath },
    https: { ...config.https, cert: fromCwd(config.https.cert), key: fromCwd(config.https.key) },
  };
}

