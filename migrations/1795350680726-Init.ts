import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1795350680726 implements MigrationInterface {
  name = 'Init1795350680726';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "organizations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(100) NOT NULL, "plan" character varying(16) NOT NULL DEFAULT 'FREE', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6b031fcd0863e3f6b44230163f9" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" character varying(254) NOT NULL, "name" character varying(100), "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "users_email_key" ON "users"  ("email") `);
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "type" character varying(8) NOT NULL, "owner_user_id" uuid, "permissions" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'ACTIVE', "prefix" character varying(32) NOT NULL, "last4" character varying(4) NOT NULL, "expires_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "created_by_kind" character varying(8) NOT NULL, "created_by_id" uuid NOT NULL, "last_used_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_by_kind" character varying(8), "revoked_by_id" uuid, "revoked_reason" character varying(500), "deleted_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "api_keys_org_owner_idx" ON "api_keys"  ("org_id", "owner_user_id") `);
    await queryRunner.query(`CREATE INDEX "api_keys_org_created_idx" ON "api_keys"  ("org_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "api_key_secrets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "api_key_id" uuid NOT NULL, "secret_hash" character(64) NOT NULL, "prefix" character varying(32) NOT NULL, "last4" character varying(4) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "ends_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_7e889794adb419997fcfeb98e21" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "api_key_secrets_hash_key" ON "api_key_secrets"  ("secret_hash") `);
    await queryRunner.query(`CREATE INDEX "api_key_secrets_key_idx" ON "api_key_secrets"  ("api_key_id") `);
    await queryRunner.query(
      `CREATE TABLE "api_key_usage" ("api_key_id" uuid NOT NULL, "day" date NOT NULL, "requests" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_1a84cd867112f7a393227cf046b" PRIMARY KEY ("api_key_id", "day"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "action" character varying(64) NOT NULL, "actor_kind" character varying(8) NOT NULL, "actor_id" uuid NOT NULL, "actor_name" character varying(200) NOT NULL, "target_type" character varying(32) NOT NULL, "target_id" uuid, "target_name" character varying(200), "metadata" jsonb, "ip" character varying(64), "user_agent" character varying(512), "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "audit_events_org_target_idx" ON "audit_events"  ("org_id", "target_id") `);
    await queryRunner.query(`CREATE INDEX "audit_events_org_created_idx" ON "audit_events"  ("org_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "memberships" ("org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" character varying(16) NOT NULL, "joined_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8a43e03ebb7e6f6486a1eab9392" PRIMARY KEY ("org_id", "user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "memberships_user_idx" ON "memberships"  ("user_id") `);
    await queryRunner.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "FK_ba7f5748f500d24aa18041d0439" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "FK_f204196e02652ea1c8a63e288fb" FOREIGN KEY ("owner_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_key_secrets" ADD CONSTRAINT "FK_2a6e4e076c76b469b1b2c9584ba" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_key_usage" ADD CONSTRAINT "FK_1e44ab7f2ed8caa36d11395827c" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "audit_events" ADD CONSTRAINT "FK_3c324fd6ad96b32d2be8bc4a3bc" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "memberships" ADD CONSTRAINT "FK_8c6a511c72951c42e008f5537dc" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "memberships" ADD CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "memberships" DROP CONSTRAINT "FK_7c1e2fdfed4f6838e0c05ae5051"`);
    await queryRunner.query(`ALTER TABLE "memberships" DROP CONSTRAINT "FK_8c6a511c72951c42e008f5537dc"`);
    await queryRunner.query(`ALTER TABLE "audit_events" DROP CONSTRAINT "FK_3c324fd6ad96b32d2be8bc4a3bc"`);
    await queryRunner.query(`ALTER TABLE "api_key_usage" DROP CONSTRAINT "FK_1e44ab7f2ed8caa36d11395827c"`);
    await queryRunner.query(`ALTER TABLE "api_key_secrets" DROP CONSTRAINT "FK_2a6e4e076c76b469b1b2c9584ba"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_f204196e02652ea1c8a63e288fb"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "FK_ba7f5748f500d24aa18041d0439"`);
    await queryRunner.query(`DROP INDEX "public"."memberships_user_idx"`);
    await queryRunner.query(`DROP TABLE "memberships"`);
    await queryRunner.query(`DROP INDEX "public"."audit_events_org_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."audit_events_org_target_idx"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
    await queryRunner.query(`DROP TABLE "api_key_usage"`);
    await queryRunner.query(`DROP INDEX "public"."api_key_secrets_key_idx"`);
    await queryRunner.query(`DROP INDEX "public"."api_key_secrets_hash_key"`);
    await queryRunner.query(`DROP TABLE "api_key_secrets"`);
    await queryRunner.query(`DROP INDEX "public"."api_keys_org_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."api_keys_org_owner_idx"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP INDEX "public"."users_email_key"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP TABLE "organizations"`);
  }
}
