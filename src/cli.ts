import { parseArgs } from 'node:util';
import { errorLine, exitCodeFor, UsageError } from './cli/errors';
import { COMMAND_OPTIONS, isCommand, OPTIONS, REQUIRED, type CliValues } from './cli/options';

const USAGE = `Usage: npm run --silent cli -- <command> [options]

Commands:
  orgs [--json]
      List the organizations: id, name, plan, created, keys (not deleted).
  bootstrap --org <name> --owner <email> [--plan FREE|STARTER|TEAM|ENTERPRISE] [--json]
      Create an organization, its owner and a BOT key named "bootstrap" holding every
      permission. Prints the key once. Names are unique, ignoring case: an existing name is an
      error, never reused.
  session --org <name|id> --email <email> [--ttl <seconds>]
      Print a session token (JWT) for a member of the organization.
  sign-in-link --email <email> [--org <name|id>] [--ttl <seconds>]
      Print a one-time link that signs a member in to the console (default: valid 1 hour).
  set-plan --org <name|id> --plan FREE|STARTER|TEAM|ENTERPRISE [--json]
      Change an organization's plan.
  migrate
      Apply pending database migrations.
  reseal-webhook-secrets [--json]
      Seal every webhook signing secret sealed with a key in ENCRYPTION_KEY_PREVIOUS again with
      ENCRYPTION_KEY (the same secrets: receivers change nothing). The middle step of a rotation.
  help
      This text.

--org takes an organization's id or its name (exact, ignoring case).
Uses the same database as \`npm start\`: DATABASE_URL, or the embedded PostgreSQL in DATA_DIR.
Exit status: 0 done, 1 could not be done (e.g. no such organization), 2 wrong usage.`;

/** The light front: which command, its options checked against what it takes; the commands live in cli/. */
async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h' || rest.includes('--help')) {
    console.log(USAGE);
    return;
  }
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}"`);
  const options = Object.fromEntries(COMMAND_OPTIONS[name].map((o) => [o, OPTIONS[o]]));
  let values: CliValues;
  try {
    values = parseArgs({ args: rest, options, strict: true }).values as CliValues;
  } catch (error) {
    const usage = new UsageError((error as Error).message);
    Object.assign(usage, { code: (error as { code?: string }).code });
    throw usage;
  }
  for (const option of REQUIRED[name]) {
    const value = values[option];
    if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${option} is required`);
  }
  // Only now the commands and everything they use (TypeORM, the modules): help and usage errors stay instant.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runCommand } = require('./cli/commands') as typeof import('./cli/commands');
  await runCommand(name, values);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(errorLine(error));
    if (exitCodeFor(error) === 1 && process.env.LOG_LEVEL === 'debug') console.error(error);
    process.exit(exitCodeFor(error));
  },
);
