import type { DataSource } from 'typeorm';
import { AuthInvalidator } from './auth/auth-invalidation';
import { KeyFormat } from './auth/key-format';
import type { VerificationCache } from './auth/verification-cache';
import type { Config } from './kernel/config';
import type { TxtResolver } from './modules/domains/domain.service';
import { KEYGATE, type Services } from './modules';
import type { Lookup } from './modules/webhooks/ssrf-guard';

export interface ServiceGraphOptions {
  dataSource: DataSource;
  config: Config;
  /** This process's verification cache, evicted when a change commits; none in the CLI. */
  cache?: VerificationCache | null;
  /** Where write-behind buffer overflows are reported. */
  log?: { error(object: object, message: string): void };
  webhookLookup?: Lookup;
  txtResolver?: TxtResolver;
}

export interface ServiceGraph {
  services: Services;
  invalidator: AuthInvalidator;
  keyFormat: KeyFormat;
}

/**
 * The one factory of keygate's service graph: the server, the CLI and the benchmark all build it
 * here, from the modules' manifests.
 */
export async function createServiceGraph(options: ServiceGraphOptions): Promise<ServiceGraph> {
  const { dataSource, config } = options;
  const keyFormat = new KeyFormat(config.apiKeyPrefix);
  // Without a cache (the CLI), the NOTIFY alone tells running servers what changed.
  const invalidator = new AuthInvalidator(options.cache ?? null);
  const reportDrops = (what: string) => (dropped: number, total: number) =>
    options.log?.error({ dropped, total }, `${what} buffer full while the database was unreachable; entries dropped`);
  const services = (await KEYGATE.createServices({
    dataSource,
    config,
    keyFormat,
    invalidator,
    reportDrops,
    webhookLookup: options.webhookLookup,
    txtResolver: options.txtResolver,
  })) as Services;
  return { services, invalidator, keyFormat };
}
