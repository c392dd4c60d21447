import { buildServiceGraph, type ServiceGraph, type ServiceGraphOptions } from './core/service-graph';
import { KEYGATE, type Services } from './modules';

/** keygate's service graph, from its modules: the server, the CLI and the benchmark build it here. */
export function createServiceGraph(options: ServiceGraphOptions): Promise<ServiceGraph<Services>> {
  return buildServiceGraph<Services>(KEYGATE, options);
}
