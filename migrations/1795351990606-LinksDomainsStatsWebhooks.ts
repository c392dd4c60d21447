import { MigrationInterface, QueryRunner } from 'typeorm';

export class LinksDomainsStatsWebhooks1795351990606 implements MigrationInterface {
  name = 'LinksDomainsStatsWebhooks1795351990606';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "domains" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "hostname" character varying(253) NOT NULL, "verification_token" character varying(64) NOT NULL, "verified_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_05a6b087662191c2ea7f7ddfc4d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "domains_hostname_key" ON "domains"  ("hostname") `);
    await queryRunner.query(`CREATE INDEX "domains_org_created_idx" ON "domains"  ("org_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "short_links" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "domain_id" uuid, "slug" character varying(64) NOT NULL, "url" character varying(2048) NOT NULL, "title" character varying(200), "tags" text array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "created_by_kind" character varying(8) NOT NULL, "created_by_id" uuid NOT NULL, "click_count" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_c3adbf03db8463f26000c7457a7" PRIMARY KEY ("id"))`,
    );
    // One slug per domain; NULLS NOT DISTINCT makes the default host (domain_id NULL) one
    // namespace too. TypeORM cannot express this, so the entity marks it synchronize: false.
    await queryRunner.query(`CREATE UNIQUE INDEX "short_links_domain_slug_key" ON "short_links" ("domain_id", "slug") NULLS NOT DISTINCT`);
    await queryRunner.query(`CREATE INDEX "short_links_org_created_idx" ON "short_links"  ("org_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "link_clicks" ("id" BIGSERIAL NOT NULL, "org_id" uuid NOT NULL, "link_id" uuid NOT NULL, "clicked_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "referrer_host" character varying(253), "user_agent_family" character varying(32) NOT NULL, "country" character(2), CONSTRAINT "PK_19d536461401f505e14ddf46ae6" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "link_clicks_org_time_idx" ON "link_clicks"  ("org_id", "clicked_at") `);
    await queryRunner.query(`CREATE INDEX "link_clicks_link_time_idx" ON "link_clicks"  ("link_id", "clicked_at") `);
    await queryRunner.query(
      `CREATE TABLE "webhook_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "type" character varying(64) NOT NULL, "payload" jsonb NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "dispatched_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_4cba37e6a0acb5e1fc49c34ebfd" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_events_undispatched_idx" ON "webhook_events"  ("created_at") WHERE dispatched_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhooks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "url" character varying(2048) NOT NULL, "description" character varying(500), "events" text array NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "secret_sealed" character varying(256) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_delivery_at" TIMESTAMP(3) WITH TIME ZONE, "last_delivery_status" integer, "consecutive_failures" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_9e8795cfc899ab7bdaa831e8527" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "webhooks_org_created_idx" ON "webhooks"  ("org_id", "created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "webhook_id" uuid NOT NULL, "event_id" uuid NOT NULL, "event_type" character varying(64) NOT NULL, "attempt" integer NOT NULL, "succeeded" boolean NOT NULL, "status_code" integer, "duration_ms" integer NOT NULL, "error" character varying(500), "next_retry_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "webhook_deliveries_attempt_key" ON "webhook_deliveries"  ("webhook_id", "event_id", "attempt") `,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_webhook_created_idx" ON "webhook_deliveries"  ("webhook_id", "created_at", "id") `,
    );
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "expiry_alert_stage" smallint NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `ALTER TABLE "domains" ADD CONSTRAINT "FK_204945a5bebd3d527c4e6d2c5b9" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "short_links" ADD CONSTRAINT "FK_437cb6b979effffc4175fe4bd22" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "short_links" ADD CONSTRAINT "FK_7e7314df1b45f4e070ea24572c9" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "link_clicks" ADD CONSTRAINT "FK_a298f7ba758d106f2e257a089df" FOREIGN KEY ("link_id") REFERENCES "short_links"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "FK_d15993f8952230f47d88d4d0653" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_a0286aeb96db651efd1ae2966f2" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_27d1ee90033bdafe0ffe8f1be6f" FOREIGN KEY ("event_id") REFERENCES "webhook_events"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_27d1ee90033bdafe0ffe8f1be6f"`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_a0286aeb96db651efd1ae2966f2"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "FK_d15993f8952230f47d88d4d0653"`);
    await queryRunner.query(`ALTER TABLE "link_clicks" DROP CONSTRAINT "FK_a298f7ba758d106f2e257a089df"`);
    await queryRunner.query(`ALTER TABLE "short_links" DROP CONSTRAINT "FK_7e7314df1b45f4e070ea24572c9"`);
    await queryRunner.query(`ALTER TABLE "short_links" DROP CONSTRAINT "FK_437cb6b979effffc4175fe4bd22"`);
    await queryRunner.query(`ALTER TABLE "domains" DROP CONSTRAINT "FK_204945a5bebd3d527c4e6d2c5b9"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "expiry_alert_stage"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_deliveries_webhook_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_deliveries_attempt_key"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP INDEX "public"."webhooks_org_created_idx"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_events_undispatched_idx"`);
    await queryRunner.query(`DROP TABLE "webhook_events"`);
    await queryRunner.query(`DROP INDEX "public"."link_clicks_link_time_idx"`);
    await queryRunner.query(`DROP INDEX "public"."link_clicks_org_time_idx"`);
    await queryRunner.query(`DROP TABLE "link_clicks"`);
    await queryRunner.query(`DROP INDEX "public"."short_links_org_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."short_links_domain_slug_key"`);
    await queryRunner.query(`DROP TABLE "short_links"`);
    await queryRunner.query(`DROP INDEX "public"."domains_org_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."domains_hostname_key"`);
    await queryRunner.query(`DROP TABLE "domains"`);
  }
}
