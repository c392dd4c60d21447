import type { DataSource } from 'typeorm';
import type { AuthInvalidator } from '../auth/auth-invalidation';
import type { KeyFormat } from '../auth/key-format';
import type { AccessModel, ResourceDefinition } from '../kernel/access';
import type { Config } from '../kernel/config';
import type { AuditCatalog, AuditDefinition } from './audit/audit-catalog';
import type { AuditService } from './audit/audit.service';
import type { Changes } from './audit/changes';
import type { TxtResolver } from './domains/domain.service';
import type { Lookup } from './webhooks/ssrf-guard';

/**
 * What every module's service factory may use: the shared infrastructure, built once. Services
 * of modules earlier in MODULES are passed separately (`built`).
 */
export interface ServiceDeps {
  dataSource: DataSource;
  config: Config;
  access: AccessModel;
  audit: AuditService;
  /** Every audit action and webhook event, with the resource each belongs to. */
  events: AuditCatalog;
  changes: Changes;
  invalidator: AuthInvalidator;
  keyFormat: KeyFormat;
  /** Called when a write-behind buffer overflows while the database is away. */
  reportDrops: (what: string) => (dropped: number, total: number) => void;
  /** What tests replace: address lookups for webhook URLs, TXT lookups for domain verification. */
  webhookLookup?: Lookup;
  txtResolver?: TxtResolver;
}

/**
 * One feature, declared in one place: the resource it guards (name, description, the actions that
 * exist, what each role holds), its entities, resolvers, audit actions with their webhook events,
 * and how to build its services. MODULES (modules/index.ts) lists them; everything else — the
 * scopes, the role table, Permissions/PermissionsInput, ENTITIES, RESOLVERS, the audit catalog,
 * the service graph — is derived from that list.
 */
export interface FeatureModule<S extends object = object> {
  name: string;
  resources?: readonly ResourceDefinition[];
  entities?: readonly Function[];
  resolvers?: readonly Function[];
  audit?: readonly AuditDefinition[];
  services?: (deps: ServiceDeps, built: Readonly<Record<string, unknown>>) => S | Promise<S>;
}

export function defineModule<const S extends object>(module: FeatureModule<S>): FeatureModule<S> {
  return module;
}

/** A service an earlier module built; a missing one is a MODULES ordering mistake, found at start. */
export function builtService<T>(built: Readonly<Record<string, unknown>>, name: string, by: string): T {
  const service = built[name];
  if (service === undefined) throw new Error(`Module ${by} needs the ${name} service: list its module earlier in MODULES`);
  return service as T;
}
