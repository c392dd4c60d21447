import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * organizations.live_api_keys: how many keys an organization has that are not deleted, kept by a
 * trigger in the same transaction as the change, so `apiKeys { totalCount }` without a filter is
 * one primary-key read instead of a count over every key (35–70 ms at 100,000 keys).
 */
export class LiveApiKeyCount1796053000000 implements MigrationInterface {
  name = 'LiveApiKeyCount1796053000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "organizations" ADD "live_api_keys" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `UPDATE "organizations" o SET "live_api_keys" = (SELECT count(*) FROM "api_keys" k WHERE k."org_id" = o."id" AND k."deleted_at" IS NULL)`,
    );
    await queryRunner.query(`
      CREATE FUNCTION keygate_count_live_api_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
          UPDATE organizations SET live_api_keys = live_api_keys - 1 WHERE id = OLD.org_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
          UPDATE organizations SET live_api_keys = live_api_keys + 1 WHERE id = NEW.org_id;
        END IF;
        RETURN NULL;
      END $$`);
    // Only inserts, deletions and changes of deleted_at or org_id move the count: usage updates do not fire it.
    await queryRunner.query(`
      CREATE TRIGGER api_keys_live_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at, org_id ON "api_keys"
      FOR EACH ROW EXECUTE FUNCTION keygate_count_live_api_keys()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER api_keys_live_count ON "api_keys"`);
    await queryRunner.query(`DROP FUNCTION keygate_count_live_api_keys()`);
    await queryRunner.query(`ALTER TABLE "organizations" DROP COLUMN "live_api_keys"`);
  }
}
