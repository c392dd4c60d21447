import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { SIGN_IN_LINK_TTL_SECONDS } from '../auth/browser-sessions';
import { BrowserSessions } from '../modules/sessions/browser-sessions.service';
import { createSessionTokens } from '../auth/session-tokens';
import { openDatabase } from '../db/open-database';
import { loadConfig, type Config } from '../kernel/config';
import { ConflictError } from '../kernel/errors';
import { KEYGATE } from '../modules';
import { secretBoxFor } from '../modules/webhooks/secret-box';
import { resealWebhookSecrets } from '../modules/webhooks/secret-reseal';
import { createServiceGraph } from '../service-graph';
import { CliError } from './errors';
import type { CliValues, CommandName } from './options';
import { findMember, parseEmail, parsePlan, parseTtl, required, resolveOrganization } from './lookups';

interface Run {
  config: Config;
  values: CliValues;
  ds: DataSource;
  /** Migrations this run applied. */
  migrated: string[];
  /** stdout: what the command answers (a token or link only ever goes here, never to a log). */
  print(line: string): void;
}

interface Command {
  /** `migrate` applies migrations whatever MIGRATE_ON_START says. */
  migrate?: boolean;
  run(r: Run): Promise<void>;
}

const DAY_SECONDS = 86_400;

async function services(r: Run) {
  return (await createServiceGraph({ dataSource: r.ds, config: r.config })).services;
}

async function bootstrap(r: Run): Promise<void> {
  const name = required(r.values, 'org');
  const { organizations } = await services(r);
  const result = await organizations
    .bootstrap({ name, ownerEmail: parseEmail(required(r.values, 'owner'), 'owner'), plan: parsePlan(r.values.plan) })
    .catch((error: unknown) => {
      // bootstrap creates, never reuses: say how to use the one that exists.
      if (error instanceof ConflictError)
        throw new CliError(`${error.message} To use it, pass --org "${name}" to session or sign-in-link.`);
      throw error;
    });
  const tokens = await createSessionTokens(r.config);
  const sessionToken = tokens.canSign ? await tokens.sign({ userId: result.owner.id, orgId: result.organization.id }) : null;
  const out = {
    organization: { id: result.organization.id, name: result.organization.name, plan: result.organization.plan },
    owner: { id: result.owner.id, email: result.owner.email },
    sessionToken,
    apiKey: result.apiKey,
  };
  if (r.values.json) return r.print(JSON.stringify(out));
  r.print(`Organization ${out.organization.name} (${out.organization.id}), plan ${out.organization.plan}`);
  r.print(`Owner ${out.owner.email} (${out.owner.id})`);
  r.print(`Bootstrap API key (shown once): ${out.apiKey.secret}`);
  if (sessionToken) r.print(`Session token: ${sessionToken}`);
}

async function orgs(r: Run): Promise<void> {
  const rows: { id: string; name: string; plan: string; created_at: Date; keys: number }[] = await r.ds.query(
    'SELECT id, name, plan, created_at, live_api_keys AS keys FROM organizations ORDER BY created_at, id',
  );
  const list = rows.map((o) => ({ id: o.id, name: o.name, plan: o.plan, createdAt: o.created_at.toISOString(), keys: o.keys }));
  if (r.values.json) return r.print(JSON.stringify(list));
  if (list.length === 0) return r.print('No organizations yet: npm run --silent cli -- bootstrap --org <name> --owner <email>');
  const table = [['ID', 'NAME', 'PLAN', 'CREATED', 'KEYS'], ...list.map((o) => [o.id, o.name, o.plan, o.createdAt, String(o.keys)])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) r.print(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
}

async function setPlan(r: Run): Promise<void> {
  const org = await resolveOrganization(r.ds, required(r.values, 'org'));
  const plan = parsePlan(required(r.values, 'plan'))!;
  await (await services(r)).organizations.setPlan(org.id, plan);
  r.print(
    r.values.json
      ? JSON.stringify({ organization: { id: org.id, name: org.name, plan } })
      : `Organization ${org.name} (${org.id}) is now on ${plan}.`,
  );
}

async function session(r: Run): Promise<void> {
  const org = await resolveOrganization(r.ds, required(r.values, 'org'));
  const user = await findMember(r.ds, parseEmail(required(r.values, 'email')), org);
  const ttl = parseTtl(r.values.ttl, 60, 30 * DAY_SECONDS);
  const tokens = await createSessionTokens(r.config);
  r.print(await tokens.sign({ userId: user.id, orgId: org.id }, ttl));
}

/** A one-time console sign-in link, as the first start prints: the console spends it at /console/auth/sign-in-link. */
async function signInLink(r: Run): Promise<void> {
  const org = r.values.org === undefined ? undefined : await resolveOrganization(r.ds, required(r.values, 'org'));
  const user = await findMember(r.ds, parseEmail(required(r.values, 'email')), org);
  const ttl = parseTtl(r.values.ttl, 60, 7 * DAY_SECONDS) ?? SIGN_IN_LINK_TTL_SECONDS;
  const sessions = new BrowserSessions(r.ds, {
    sessionTtlSeconds: r.config.session.consoleTtlSeconds,
    signInLinkTtlSeconds: SIGN_IN_LINK_TTL_SECONDS,
  });
  const link = await sessions.createSignInLink(user.id, ttl);
  r.print(`${r.config.publicUrl}/console/#sign-in=${link.token}`);
}

async function migrate(r: Run): Promise<void> {
  r.print(r.migrated.length ? `Applied: ${r.migrated.join(', ')}` : 'No pending migrations.');
}

/** Seals every webhook secret sealed with ENCRYPTION_KEY_PREVIOUS again with ENCRYPTION_KEY (a rotation's middle step). */
async function resealSecrets(r: Run): Promise<void> {
  const report = await resealWebhookSecrets(r.ds, await secretBoxFor(r.config));
  r.print(
    r.values.json
      ? JSON.stringify(report)
      : `Webhook secrets: ${report.resealed} sealed again with ENCRYPTION_KEY, ${report.current} already were` +
          (report.unreadable.length ? `; ${report.unreadable.length} opened by no key: ${report.unreadable.join(', ')}` : '.'),
  );
  if (report.unreadable.length)
    throw new CliError('Some webhook secrets are sealed with a key that is neither ENCRYPTION_KEY nor in ENCRYPTION_KEY_PREVIOUS.');
}

const COMMANDS: Record<CommandName, Command> = {
  bootstrap: { run: bootstrap },
  orgs: { run: orgs },
  session: { run: session },
  'sign-in-link': { run: signInLink },
  'set-plan': { run: setPlan },
  migrate: { migrate: true, run: migrate },
  'reseal-webhook-secrets': { run: resealSecrets },
};

/** Opens the database the way `npm start` does, runs the command, closes it. */
export async function runCommand(name: CommandName, values: CliValues): Promise<void> {
  const command = COMMANDS[name];
  const config = loadConfig();
  const db = await openDatabase(config, { entities: KEYGATE.entities, migrate: command.migrate ?? config.database.migrateOnStart });
  try {
    await command.run({ config, values, ds: db.dataSource, migrated: db.migrated, print: (line) => console.log(line) });
  } finally {
    await db.close();
  }
}
