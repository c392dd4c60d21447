import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organization names are unique, ignoring case (`bootstrap` twice made two "Acme"s, and the CLI
 * takes `--org <name>`). Existing duplicates keep the oldest as it is; each later one gets the
 * first 8 characters of its id appended, e.g. "Acme (3f2a9c1e)", so the index can be built.
 * TypeORM cannot express an index on an expression, so the entity marks it synchronize: false.
 */
export class OrganizationNameUnique1796057000000 implements MigrationInterface {
  name = 'OrganizationNameUnique1796057000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE "organizations" o SET "name" = left(o."name", 89) || ' (' || left(o."id"::text, 8) || ')'
        FROM (SELECT "id", row_number() OVER (PARTITION BY lower("name") ORDER BY "created_at", "id") AS n FROM "organizations") d
       WHERE d."id" = o."id" AND d.n > 1`);
    await queryRunner.query(`CREATE UNIQUE INDEX "organizations_name_lower_key" ON "organizations" (lower("name"))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "organizations_name_lower_key"`);
  }
}
