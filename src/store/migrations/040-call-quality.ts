// Call quality (src/quality): one summary row per call, written when its media
// closes. Keyed by the call id without a foreign key: a synthetic probe's media has
// a call id but no call record.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const callQuality: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('call_quality')
      .addColumn('call_id', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint', (c) => c.notNull())
      /** Leg-intervals with a MOS (audio flowed). */
      .addColumn('intervals', 'integer', (c) => c.notNull())
      .addColumn('min_mos', 'real')
      .addColumn('mean_mos', 'real')
      /** Share (0–1) of leg-intervals below quality.mos_threshold. */
      .addColumn('below_share', 'real')
      .addColumn('worst_loss_percent', 'real')
      .addColumn('worst_jitter_ms', 'real')
      .addColumn('worst_rtt_ms', 'real')
      .execute();
    await db.schema.createIndex('call_quality_ended').on('call_quality').column('ended_at').execute();
  },
};
