/**
 * An instance on its way out. From `begin()` until the server closes, `/readyz` answers 503 so
 * the load balancer's health check takes the instance out, while requests that still arrive are
 * served as usual but with `Connection: close`: the balancer's pooled connection ends with its
 * response instead of being reused against a socket about to close.
 */
export class Drain {
  private draining = false;

  get active(): boolean {
    return this.draining;
  }

  begin(): void {
    this.draining = true;
  }
}
