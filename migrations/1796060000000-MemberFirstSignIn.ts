import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a member first signed in to the console after joining (issue 19: invited members are
 * pending until then). Existing members are backfilled from what the database still shows of a
 * sign-in — their oldest browser session or identity-provider link, and no earlier than their
 * joining; members with neither stay pending, as nothing says they ever signed in.
 */
export class MemberFirstSignIn1796060000000 implements MigrationInterface {
  name = 'MemberFirstSignIn1796060000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "memberships" ADD "first_signed_in_at" TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`
      UPDATE "memberships" m SET "first_signed_in_at" = GREATEST(m."joined_at", e.first)
        FROM (SELECT "user_id", min("created_at") AS first
                FROM (SELECT "user_id", "created_at" FROM "browser_sessions"
                      UNION ALL SELECT "user_id", "created_at" FROM "user_identities") seen
               GROUP BY "user_id") e
       WHERE e."user_id" = m."user_id"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "memberships" DROP COLUMN "first_signed_in_at"`);
  }
}
