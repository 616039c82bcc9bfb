import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Consumer: whether the digest of what was received is the provider's (a Repr-Digest it sent and the bytes
 * matched: 1) or only computed here because the provider sent none (0); null before any data arrived.
 */
export const transferDigestSource: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('transfers').addColumn('digest_verified', 'integer').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('transfers').dropColumn('digest_verified').execute();
  },
};
