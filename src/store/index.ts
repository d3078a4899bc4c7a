// The store: SQLite through a typed query layer with versioned migrations.
export { Store, type Db, type Tx, type StoreNow } from './store.ts';
export { prepareQuery, type PreparedQuery, type QueryRunner, type NowRunner } from './prepared.ts';
export type { Checkpointer, CheckpointPass } from './checkpointer.ts';
export type * from './tables.ts';
export { GENESIS_HASH, entryHash, canonicalEntry, type ChainedFields } from './audit-chain.ts';
export { jsonText } from './json-text.ts';
