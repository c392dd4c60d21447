import { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeyRateLimit1795353604242 implements MigrationInterface {
  name = 'ApiKeyRateLimit1795353604242';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "rate_limit_per_minute" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "rate_limit_per_minute"`);
  }
}
