import { Authority } from '../auth/authority';
import type { AuthDirectories } from '../auth/directories';
import { createAccessModel, type AccessModel } from '../kernel/access';
import type { Scope } from '../kernel/permissions';
import { AuditCatalog } from './audit-catalog';
import { Changes } from './changes';
import { EventLog } from './events';
import { composeLoaders, type LoaderContext, type RequestLoaders } from './loaders';
import type { FastifyInstance } from 'fastify';
import type { FeatureModule, RouteDeps, ServiceDeps } from './module';

/** What the service graph is built from, besides the modules: the process's own pieces. */
export type ServiceInfrastructure = Pick<ServiceDeps, 'dataSource' | 'config' | 'keyFormat' | 'invalidator' | 'reportDrops' | 'overrides'>;

/** The services every module shares: the one way to make a change, the event log it records into, and what authentication reads through. */
export interface CoreServices {
  changes: Changes;
  eventLog: EventLog;
  directories: AuthDirectories;
}

export interface ComposedModules {
  modules: readonly FeatureModule[];
  /** The scopes that exist and what each role holds, from the modules' resources. */
  access: AccessModel;
  /** Every audit action and webhook event, from the modules' audit definitions. */
  events: AuditCatalog;
  entities: Function[];
  resolvers: Function[];
  /** Every mutation's declared scope, from the modules' operations. */
  operations: Readonly<Record<string, Scope>>;
  /** Every module's HTTP routes. */
  registerRoutes(server: FastifyInstance, deps: RouteDeps): void;
  /** A request's loaders, from every module's (core/loaders.ts). */
  createLoaders(base: Omit<LoaderContext, 'loaders'>): RequestLoaders;
  /** Builds the service graph, each module in list order (a module may use earlier ones'). */
  createServices(infrastructure: ServiceInfrastructure): Promise<CoreServices & Record<string, unknown>>;
}

/**
 * Everything derived from the module list, in one place: this is why adding a guarded resource
 * is one folder, one migration and one line in MODULES.
 */
export function composeModules(modules: readonly FeatureModule[]): ComposedModules {
  const names = modules.map((m) => m.name);
  if (new Set(names).size !== names.length) throw new Error(`Module names must be unique: ${names.join(', ')}`);
  const access = createAccessModel(modules.flatMap((m) => m.resources ?? []));
  const events = new AuditCatalog(
    modules.flatMap((m) => m.audit ?? []),
    access,
  );
  return {
    modules,
    access,
    events,
    entities: modules.flatMap((m) => m.entities ?? []),
    resolvers: modules.flatMap((m) => m.resolvers ?? []),
    operations: Object.assign({}, ...modules.map((m) => m.operations ?? {})),
    registerRoutes(server, deps) {
      for (const module of modules) module.routes?.(server, deps);
    },
    createLoaders: composeLoaders(modules.flatMap((m) => (m.loaders ? [m.loaders] : []))),
    async createServices(infrastructure) {
      const { dataSource } = infrastructure;
      const eventLog = new EventLog(events);
      const directories: Partial<AuthDirectories> = {};
      // The authority's reads are the features'; it needs them only when a change runs, once all are built.
      const authority = new Authority(access, () => directories as AuthDirectories);
      const changes = new Changes(dataSource, authority, access, eventLog, infrastructure.invalidator);
      const deps: ServiceDeps = { ...infrastructure, access, events, eventLog, changes };
      const built: Record<string, unknown> = { changes, eventLog };
      for (const module of modules) {
        const services = (await module.services?.(deps, built)) ?? {};
        for (const [name, service] of Object.entries(services)) {
          if (name in built) throw new Error(`Service ${name} of module ${module.name} is already provided`);
          built[name] = service;
        }
        for (const sink of module.eventSinks?.(deps, built) ?? []) eventLog.addSink(sink);
        Object.assign(directories, module.authDirectories?.(deps));
      }
      if (!directories.keys || !directories.people)
        throw new Error('No module answers authentication: one must provide the keys directory, one the people directory');
      built.directories = directories;
      return built as CoreServices & Record<string, unknown>;
    },
  };
}
