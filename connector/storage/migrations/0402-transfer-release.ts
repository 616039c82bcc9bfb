import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * A released transfer's fixed inputs and outcome: the release date consent is evaluated at (the provider's
 * start time, so a re-planned release after a restart gives the same bytes) and the release report (JSON,
 * counts and released file digests only; on the consumer, the report the provider sent with the data).
 */
export const transferRelease: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('transfers').addColumn('release_date', 'varchar(40)').execute();
    await db.schema.alterTable('transfers').addColumn('release_report', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('transfers').dropColumn('release_report').execute();
    await db.schema.alterTable('transfers').dropColumn('release_date').execute();
  },
};
