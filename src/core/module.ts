import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { AuthInvalidator } from '../auth/auth-invalidation';
import type { AuthDirectories } from '../auth/directories';
import type { KeyFormat } from '../auth/key-format';
import type { AccessModel, ResourceDefinition } from '../kernel/access';
import type { Scope } from '../kernel/permissions';
import type { Config } from '../kernel/config';
import type { AuditCatalog, AuditDefinition } from './audit-catalog';
import type { Changes } from './changes';
import type { EventLog, EventSink } from './events';
import type { LoaderContext } from './loaders';

/**
 * What a test, a benchmark or an embedding program may replace, by name: each feature declares its
 * own entries by declaration merging (`declare module '../../core/module' { interface Overrides {
 * txtResolver: TxtResolver } }`), and reads them from `deps.overrides`. One map, so the core and
 * the app never name a feature's seams.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the features
export interface Overrides {}

/**
 * What every module's service factory may use: the shared infrastructure, built once. Services
 * of modules earlier in MODULES are passed separately (`built`).
 */
export interface ServiceDeps {
  dataSource: DataSource;
  config: Config;
  access: AccessModel;
  /** Every audit action and webhook event, with the resource each belongs to. */
  events: AuditCatalog;
  /** Where every event is recorded (the sinks are the features'): changes use it through `Change.audit`, jobs directly. */
  eventLog: EventLog;
  changes: Changes;
  invalidator: AuthInvalidator;
  keyFormat: KeyFormat;
  /** Called when a write-behind buffer overflows while the database is away. */
  reportDrops: (what: string) => (dropped: number, total: number) => void;
  /** What the process replaced of the features' seams (see Overrides). */
  overrides: Partial<Overrides>;
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
  /**
   * The scope each of this feature's mutations needs, declared once, in its rules file: the
   * resolver's `@Requires` and the service's `changes.run` take it from there, and the schema
   * refuses to build when a mutation's `@requires` is not its declared scope (or none is declared).
   */
  operations?: Readonly<Record<string, Scope>>;
  /** This feature's HTTP routes beside GraphQL (the short links' redirect), registered once every service is built. */
  routes?: (server: FastifyInstance, deps: RouteDeps) => void;
  /** What this feature answers for authentication (auth/directories.ts): the keys' directory, the people's. */
  authDirectories?: (deps: ServiceDeps) => Partial<AuthDirectories>;
  /** This feature's per-request loaders (core/loaders.ts), by name; resolvers name the ones they use. */
  loaders?: (ctx: LoaderContext) => object;
  /** Where this feature wants every recorded event to go (the audit log stores it, the webhooks forward it). */
  eventSinks?: (deps: ServiceDeps, built: Readonly<Record<string, unknown>>) => readonly EventSink[];
}

/** What a feature's routes may use: the database, the configuration and the built services (by name). */
export interface RouteDeps {
  dataSource: DataSource;
  config: Config;
  services: Readonly<Record<string, unknown>>;
}

/** A feature's operations (mutation name → the scope it needs), typed as the constants they are. */
export function defineOperations<const O extends Record<string, Scope>>(operations: O): O {
  return operations;
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
