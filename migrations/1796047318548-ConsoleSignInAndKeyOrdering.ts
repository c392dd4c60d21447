import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConsoleSignInAndKeyOrdering1796047318548 implements MigrationInterface {
  name = 'ConsoleSignInAndKeyOrdering1796047318548';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "browser_sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" character(64) NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_62bb0057d5bf51b68d790563ba3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "browser_sessions_token_hash_key" ON "browser_sessions"  ("token_hash") `);
    await queryRunner.query(
      `CREATE TABLE "sign_in_links" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" character(64) NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_2097ee1b62272fac6526b35398e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "sign_in_links_token_hash_key" ON "sign_in_links"  ("token_hash") `);
    await queryRunner.query(
      `CREATE TABLE "user_identities" ("issuer" character varying(300) NOT NULL, "subject" character varying(300) NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_30e43d5623aba16f806fc50cb99" PRIMARY KEY ("issuer", "subject"))`,
    );
    await queryRunner.query(`CREATE INDEX "user_identities_user_idx" ON "user_identities"  ("user_id") `);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now()`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "rotated_at" TIMESTAMP(3) WITH TIME ZONE`);
    // Existing keys last changed, at the latest, when they were made or last rotated.
    await queryRunner.query(
      `UPDATE "api_keys" k SET "updated_at" = greatest(k."created_at", coalesce(k."revoked_at", k."created_at")), "rotated_at" = r.rotated
               FROM (SELECT "api_key_id", CASE WHEN count(*) > 1 THEN max("created_at") END AS rotated FROM "api_key_secrets" GROUP BY 1) r
              WHERE r."api_key_id" = k."id"`,
    );
    await queryRunner.query(`CREATE INDEX "api_keys_org_expires_idx" ON "api_keys"  ("org_id", "expires_at", "id") `);
    await queryRunner.query(`CREATE INDEX "api_keys_org_last_used_idx" ON "api_keys"  ("org_id", "last_used_at", "id") `);
    await queryRunner.query(`CREATE INDEX "api_keys_org_name_idx" ON "api_keys"  ("org_id", "name", "id") `);
    await queryRunner.query(
      `ALTER TABLE "browser_sessions" ADD CONSTRAINT "FK_af244312d727c5b958dcce323a8" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sign_in_links" ADD CONSTRAINT "FK_35646de82c2b76d041ffdef1ccf" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "user_identities" ADD CONSTRAINT "FK_bf5fe01eb8cad7114b4c371cdc7" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_identities" DROP CONSTRAINT "FK_bf5fe01eb8cad7114b4c371cdc7"`);
    await queryRunner.query(`ALTER TABLE "sign_in_links" DROP CONSTRAINT "FK_35646de82c2b76d041ffdef1ccf"`);
    await queryRunner.query(`ALTER TABLE "browser_sessions" DROP CONSTRAINT "FK_af244312d727c5b958dcce323a8"`);
    await queryRunner.query(`DROP INDEX "public"."api_keys_org_name_idx"`);
    await queryRunner.query(`DROP INDEX "public"."api_keys_org_last_used_idx"`);
    await queryRunner.query(`DROP INDEX "public"."api_keys_org_expires_idx"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "rotated_at"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "updated_at"`);
    await queryRunner.query(`DROP INDEX "public"."user_identities_user_idx"`);
    await queryRunner.query(`DROP TABLE "user_identities"`);
    await queryRunner.query(`DROP INDEX "public"."sign_in_links_token_hash_key"`);
    await queryRunner.query(`DROP TABLE "sign_in_links"`);
    await queryRunner.query(`DROP INDEX "public"."browser_sessions_token_hash_key"`);
    await queryRunner.query(`DROP TABLE "browser_sessions"`);
  }
}
