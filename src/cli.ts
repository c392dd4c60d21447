import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createSessionTokens } from './auth/session-tokens';
import { ConfigError, loadConfig } from './kernel/config';
import { openDatabase } from './db/open-database';
import { AppError } from './kernel/errors';
import { Membership } from './modules/members/membership.entity';
import { normalizeEmail } from './modules/members/member.service';
import { User } from './modules/members/user.entity';
import { Plan } from './kernel/plans';
import { Organization } from './modules/organizations/organization.entity';
import { isUuid } from './kernel/ids';
import { KEYGATE } from './modules';
import { createServiceGraph } from './service-graph';

const USAGE = `Usage: npm run --silent cli -- <command> [options]

Commands:
  bootstrap --org <name> --owner <email> [--plan FREE|STARTER|TEAM|ENTERPRISE] [--json]
      Create an organization, its owner and a BOT key named "bootstrap" holding every
      permission. Prints the key once.
  session --org <orgId> --email <email> [--ttl <seconds>]
      Print a session token (JWT) for a member of the organization.
  set-plan --org <orgId> --plan FREE|STARTER|TEAM|ENTERPRISE
      Change an organization's plan.
  migrate
      Apply pending database migrations.

Uses the same database as \`npm start\`: DATABASE_URL, or the embedded PostgreSQL in DATA_DIR.`;

class UsageError extends Error {}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v.trim();
}

function parsePlan(value: string | undefined): Plan | undefined {
  if (value === undefined) return undefined;
  const plan = value.toUpperCase() as Plan;
  if (!Object.values(Plan).includes(plan)) throw new UsageError(`--plan must be one of ${Object.values(Plan).join(', ')}`);
  return plan;
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      org: { type: 'string' },
      owner: { type: 'string' },
      email: { type: 'string' },
      plan: { type: 'string' },
      ttl: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const config = loadConfig();

  if (command === 'migrate') {
    const db = await openDatabase(config, { entities: KEYGATE.entities, migrate: true });
    console.log(db.migrated.length ? `Applied: ${db.migrated.join(', ')}` : 'No pending migrations.');
    await db.close();
    return;
  }
  if (!['bootstrap', 'session', 'set-plan'].includes(command)) throw new UsageError(`Unknown command "${command}"`);

  const db = await openDatabase(config, { entities: KEYGATE.entities, migrate: config.database.migrateOnStart });
  try {
    const ds = db.dataSource;
    const { organizations } = (await createServiceGraph({ dataSource: ds, config })).services;

    if (command === 'bootstrap') {
      const result = await organizations.bootstrap({
        name: required(values, 'org'),
        ownerEmail: required(values, 'owner'),
        plan: parsePlan(values.plan),
      });
      const tokens = await createSessionTokens(config);
      const sessionToken = tokens.canSign ? await tokens.sign({ userId: result.owner.id, orgId: result.organization.id }) : null;
      const out = {
        organization: { id: result.organization.id, name: result.organization.name, plan: result.organization.plan },
        owner: { id: result.owner.id, email: result.owner.email },
        sessionToken,
        apiKey: result.apiKey,
      };
      if (values.json) console.log(JSON.stringify(out));
      else {
        console.log(`Organization ${out.organization.name} (${out.organization.id}), plan ${out.organization.plan}`);
        console.log(`Owner ${out.owner.email} (${out.owner.id})`);
        console.log(`Bootstrap API key (shown once): ${out.apiKey.secret}`);
        if (sessionToken) console.log(`Session token: ${sessionToken}`);
      }
      return;
    }

    const orgId = required(values, 'org');
    if (!isUuid(orgId) || !(await ds.getRepository(Organization).existsBy({ id: orgId }))) {
      throw new UsageError(`No organization ${orgId}`);
    }
    if (command === 'set-plan') {
      const plan = parsePlan(required(values, 'plan'))!;
      await organizations.setPlan(orgId, plan);
      console.log(values.json ? JSON.stringify({ organization: { id: orgId, plan } }) : `Organization ${orgId} is now on ${plan}.`);
      return;
    }
    // session
    const email = normalizeEmail(required(values, 'email'));
    const user = await ds.getRepository(User).findOneBy({ email });
    if (!user || !(await ds.getRepository(Membership).existsBy({ orgId, userId: user.id }))) {
      throw new UsageError(`${email} is not a member of organization ${orgId}`);
    }
    const tokens = await createSessionTokens(config);
    const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60))
      throw new UsageError('--ttl must be an integer number of seconds, at least 60');
    console.log(await tokens.sign({ userId: user.id, orgId }, ttl));
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof AppError) {
      console.error(`keygate: ${error.message}`);
      if (error instanceof UsageError) console.error(`\n${USAGE}`);
      process.exit(2);
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`keygate: ${(error as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error('keygate:', error);
    process.exit(1);
  },
);
