/**
 * Waits for an event a test cannot subscribe to (a row written by a worker, a cache evicted by a
 * notification): polls `fn` every `intervalMs` until it returns something truthy, and returns
 * that. The timeout only turns a hang into a failure naming `what`.
 */
export async function until<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
