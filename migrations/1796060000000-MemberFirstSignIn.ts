import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a member's console session first acted in the organization (issue 19: invited members are
 * pending until then). Existing members who ever signed in (a browser session or an identity-provider
 * link) are backfilled as joined when they joined: sessions are not per organization, so their
 * time says nothing about this one, and one organization must not learn when a person signed in
 * to another. Members with neither stay pending.
 */
export class MemberFirstSignIn1796060000000 implements MigrationInterface {
  name = 'MemberFirstSignIn1796060000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "memberships" ADD "first_signed_in_at" TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`
      UPDATE "memberships" m SET "first_signed_in_at" = m."joined_at"
       WHERE EXISTS (SELECT 1 FROM "browser_sessions" s WHERE s."user_id" = m."user_id")
          OR EXISTS (SELECT 1 FROM "user_identities" i WHERE i."user_id" = m."user_id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "memberships" DROP COLUMN "first_signed_in_at"`);
  }
}
