import pg from 'pg';
import { DatabaseBusyError } from './request-budget';

type Client = pg.PoolClient & { readyForQuery?: boolean; connection?: { stream?: { destroy(): void } } };

/**
 * The pg pool keygate's data source uses. A wait for a free connection that times out is a
 * DatabaseBusyError (503 "busy"), not a connection failure ("unreachable"). A client released
 * while a query it gave up on (the client-side query timeout) is still unanswered is destroyed
 * rather than reused: the next query would queue behind the lost one. A request's own share of
 * the pool is taken before it gets here, by its query runners (request-budget.ts).
 */
export class DatabasePool extends pg.Pool {
  // pg's callback form is what TypeORM uses; the promise form is kept for everything else.
  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void,
  ): void;
  override connect(
    callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void,
  ): Promise<pg.PoolClient> | void {
    const checkout = this.checkout();
    if (!callback) return checkout;
    checkout.then(
      (client) => callback(undefined, client, client.release),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  private async checkout(): Promise<pg.PoolClient> {
    let client: Client;
    try {
      client = (await super.connect()) as Client;
    } catch (error) {
      // pg-pool's message when no pooled connection became free in time.
      if ((error as Error).message === 'timeout exceeded when trying to connect') throw new DatabaseBusyError();
      throw error;
    }
    const release = client.release.bind(client);
    let released = false;
    client.release = (err?: Error | boolean) => {
      if (released) return;
      released = true;
      // Not ready for a query after its user is done: an answer is still owed (a client-side timeout).
      if (!err && client.readyForQuery === false) {
        client.connection?.stream?.destroy();
        return release(new Error('a query was still unanswered'));
      }
      return release(err);
    };
    return client;
  }
}
