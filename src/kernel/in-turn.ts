/**
 * Runs each step after the one before, whatever it did, and throws the first failure once all
 * have run: a shutdown where one part fails (a stuck job worker) still stops the others.
 */
export async function inTurn(steps: readonly (() => unknown)[]): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}
