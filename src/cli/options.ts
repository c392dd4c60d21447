/** What each command accepts; the front checks arguments against this before loading anything heavy. */
export interface CliValues {
  org?: string;
  owner?: string;
  email?: string;
  plan?: string;
  ttl?: string;
  json?: boolean;
}

export type OptionName = keyof CliValues;

export const OPTIONS = {
  org: { type: 'string' },
  owner: { type: 'string' },
  email: { type: 'string' },
  plan: { type: 'string' },
  ttl: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Record<OptionName, { type: 'string' | 'boolean' }>;

export const COMMAND_OPTIONS = {
  bootstrap: ['org', 'owner', 'plan', 'json'],
  orgs: ['json'],
  session: ['org', 'email', 'ttl'],
  'sign-in-link': ['email', 'org', 'ttl'],
  'set-plan': ['org', 'plan', 'json'],
  migrate: [],
  'reseal-webhook-secrets': ['json'],
} as const satisfies Record<string, readonly OptionName[]>;

export type CommandName = keyof typeof COMMAND_OPTIONS;

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_OPTIONS, name);
}

/** Options a command cannot do without; checked by the front, before the database is opened. */
export const REQUIRED: Record<CommandName, readonly OptionName[]> = {
  bootstrap: ['org', 'owner'],
  orgs: [],
  session: ['org', 'email'],
  'sign-in-link': ['email'],
  'set-plan': ['org', 'plan'],
  migrate: [],
  'reseal-webhook-secrets': [],
};
