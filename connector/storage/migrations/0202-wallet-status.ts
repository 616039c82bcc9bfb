import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The wallet marks what it learnt about a held credential instead of silently keeping or dropping it:
 * `status` is valid, revoked, suspended, expired or superseded (a newer credential of the same types from
 * the same issuer arrived), `status_checked_at` when that was last established. Only valid ones are presented.
 */
export const walletStatus: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('wallet_credentials')
      .addColumn('status', 'varchar(20)', (c) => c.notNull().defaultTo('valid'))
      .execute();
    await db.schema.alterTable('wallet_credentials').addColumn('status_checked_at', 'varchar(40)').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('wallet_credentials').dropColumn('status_checked_at').execute();
    await db.schema.alterTable('wallet_credentials').dropColumn('status').execute();
  },
};
