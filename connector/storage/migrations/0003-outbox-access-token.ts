import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** A peer's access token an outgoing message hands back in its ID token (DCP issuance), sealed, until sent. */
export const outboxAccessToken: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('outbox').addColumn('access_token', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('outbox').dropColumn('access_token').execute();
  },
};
