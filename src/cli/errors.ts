/** The command line itself is wrong (unknown command or option, a missing or bad value): exit 2. */
export class UsageError extends Error {}

/** The command was well-formed but cannot be done (no such organization or member, a taken name): exit 1. */
export class CliError extends Error {}

/** 2 for usage errors (a value the services refuse as input counts), 1 for anything else. */
export function exitCodeFor(error: unknown): 1 | 2 {
  // BAD_USER_INPUT read from the error, not by class: the front loads no GraphQL to print usage.
  const code = (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return error instanceof UsageError || code === 'BAD_USER_INPUT' ? 2 : 1;
}

/**
 * One line for the terminal: `keygate: <message>`. parseArgs' own messages are long and name
 * its API; they are shortened to the option concerned. A stack only with LOG_LEVEL=debug.
 */
export function errorLine(error: unknown): string {
  const e = error as Error & { code?: string };
  let message = e?.message ?? String(error);
  if (e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') message = message.replace(/^Unknown option '([^']+)'.*$/s, 'unknown option $1');
  if (e?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    message = message.replace(/^Unexpected argument '([^']+)'.*$/s, 'unexpected argument "$1"');
  if (e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    message = message.replace(/^Option '(--[a-z-]+)[^']*' argument missing$/s, '$1 needs a value');
  const line = `keygate: ${message.split('\n').join(' ').trim()}`;
  return exitCodeFor(error) === 2 ? `${line} (see: npm run --silent cli -- help)` : line;
}
