// Configuration: schema, loading and validation.
export { ConfigSchema, type Config } from './schema.ts';
export { loadConfig, validateConfig, envOverrides, ConfigError, type LoadOptions } from './load.ts';
