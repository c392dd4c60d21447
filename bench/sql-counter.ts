/**
 * Counts every statement this process sends through `pg` (TypeORM, raw queries, the invalidation
 * listener, usage flushes: everything a request or the server's background work costs), and can
 * record the text and parameters of the statements sent while capturing.
 */
export interface CapturedStatement {
  text: string;
  values: unknown[];
}

export const sqlCounter = { statements: 0, capturing: null as CapturedStatement[] | null };

let installed = false;

export function installSqlCounter(): void {
  if (installed) return;
  installed = true;
  // Required here, not imported: a server's own modules load pg first (keygate's tracing patches it as it loads).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    sqlCounter.statements++;
    if (sqlCounter.capturing) {
      const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
      const text = typeof first === 'string' ? first : first.text;
      const values = (typeof first === 'string' ? second : first.values) as unknown[] | undefined;
      sqlCounter.capturing.push({ text, values: Array.isArray(values) ? values : [] });
    }
    return original.apply(this, args);
  };
}
