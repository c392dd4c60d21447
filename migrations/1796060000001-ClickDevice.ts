import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each click keeps its device class (desktop, mobile, tablet, bot, other), decided from the whole
 * user agent at click time: the stored family ("Chrome") cannot tell a phone from a desktop.
 * Clicks recorded before this migration kept only the family, so they cannot be told apart
 * either: those of the Bot family become `bot`, every other one `other` (the column's default,
 * a constant, so adding it rewrites nothing).
 */
export class ClickDevice1796060000001 implements MigrationInterface {
  name = 'ClickDevice1796060000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "link_clicks" ADD "device" character varying(8) NOT NULL DEFAULT 'other'`);
    await queryRunner.query(`UPDATE "link_clicks" SET "device" = 'bot' WHERE "user_agent_family" = 'Bot'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "link_clicks" DROP COLUMN "device"`);
  }
}
