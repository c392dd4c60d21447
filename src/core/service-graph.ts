import type { DataSource } from 'typeorm';
import { AuthInvalidator } from '../auth/auth-invalidation';
import { KeyFormat } from '../auth/key-format';
import type { VerificationCache } from '../auth/verification-cache';
import type { Config } from '../kernel/config';
import type { ComposedModules, CoreServices } from './compose';
import type { Overrides } from './module';

export interface ServiceGraphOptions {
  dataSource: DataSource;
  config: Config;
  /** This process's verification cache, evicted when a change commits; none in the CLI. */
  cache?: VerificationCache | null;
  /** Where write-behind buffer overflows are reported. */
  log?: { error(object: object, message: string): void };
  /** What the process replaces of the features' seams (tests: DNS answers). */
  overrides?: Partial<Overrides>;
}

export interface ServiceGraph<S> {
  services: S & CoreServices;
  invalidator: AuthInvalidator;
  keyFormat: KeyFormat;
}

/**
 * The one factory of a service graph, from composed modules: the server, the CLI and the
 * benchmark all build keygate's here (through service-graph.ts at the top, which names keygate's
 * modules; the core names none).
 */
export async function buildServiceGraph<S>(modules: ComposedModules, options: ServiceGraphOptions): Promise<ServiceGraph<S>> {
  const { dataSource, config } = options;
  const keyFormat = new KeyFormat(config.apiKeyPrefix);
  // Without a cache (the CLI), the NOTIFY alone tells running servers what changed.
  const invalidator = new AuthInvalidator(options.cache ?? null);
  const reportDrops = (what: string) => (dropped: number, total: number) =>
    options.log?.error({ dropped, total }, `${what} buffer full while the database was unreachable; entries dropped`);
  const services = await modules.createServices({
    dataSource,
    config,
    keyFormat,
    invalidator,
    reportDrops,
    overrides: options.overrides ?? {},
  });
  return { services: services as S & CoreServices, invalidator, keyFormat };
}
