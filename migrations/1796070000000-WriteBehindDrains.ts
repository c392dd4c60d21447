import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The chunks of usage and clicks already drained from the Redis journal (src/db/write-journal.ts):
 * a drain inserts `<drain id>:<chunk>` in the same transaction as the chunk's rows, so a drain
 * that is completed again (after a crash between its commit and its DEL in Redis, or by two nodes
 * at once) skips what is already written. Rows older than a day are pruned by the drains.
 */
export class WriteBehindDrains1796070000000 implements MigrationInterface {
  name = 'WriteBehindDrains1796070000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "write_behind_drains" ("id" character varying(80) NOT NULL, "drained_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_write_behind_drains" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_write_behind_drains_drained_at" ON "write_behind_drains" ("drained_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "write_behind_drains"`);
  }
}
