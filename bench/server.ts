import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { Running } from './stacks/common';
import { installSqlCounter, sqlCounter } from './sql-counter';

/**
 * One benchmark server per process, run from JavaScript (`dist/bench/server.js <kind>`: the
 * runner builds dist/ with `npm run build` and transpiles bench/ beside it, so keygate is its
 * compiled build and no TypeScript compiler sits in any server's memory). Each kind loads only
 * its own modules:
 *   ceiling    a bare Fastify route answering a constant (the machine's limit)
 *   ours       keygate's buildApp as shipped; noauth: the same with a fixed principal
 *   handbuilt  a bare Fastify route + pg running keygate's SQL, JSON written by hand
 *   apollo     plain Apollo Server + graphql-shield + pg           (bench/stacks/apollo.ts)
 *   yoga       GraphQL Yoga + @envelop/generic-auth + pg; yoga-jit: + @envelop/graphql-jit
 *   mercurius  Mercurius (jit) + mercurius-auth + pg
 * It talks to the runner over IPC: `ready` with its port, then answers `stats` (SQL statements
 * sent so far, memory), `capture` / `captured` (the statements sent meanwhile), `profile-start` /
 * `profile-stop <file>` (V8's CPU profiler through the inspector, written to the file),
 * `alloc-start` / `alloc-stop <file>` (its sampling heap profiler, the same way) and `stop`.
 */
export type Kind = 'ceiling' | 'ours' | 'noauth' | 'handbuilt' | 'apollo' | 'yoga' | 'yoga-jit' | 'mercurius';

/** A module of this kind only, when it starts: a peer's process never loads keygate, nor keygate a peer's libraries. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(id: string): T => require(id) as T;

async function startCeiling(): Promise<Running> {
  const { default: Fastify } = load<typeof import('fastify')>('fastify');
  const server = Fastify({ logger: false });
  const payload = JSON.stringify({ data: { viewer: { kind: 'API_KEY' } } });
  server.post('/graphql', async (_req, reply) => reply.type('application/json; charset=utf-8').send(payload));
  await server.listen({ host: '127.0.0.1', port: 0 });
  return { port: (server.server.address() as { port: number }).port, close: () => server.close() };
}

async function start(kind: Kind, env: NodeJS.ProcessEnv): Promise<Running> {
  switch (kind) {
    case 'ceiling':
      return startCeiling();
    case 'ours':
    case 'noauth':
      return load<typeof import('./keygate-server')>('./keygate-server').startKeygate(kind, env);
    case 'handbuilt':
      return load<typeof import('./handbuilt')>('./handbuilt').startHandBuilt(env);
    case 'apollo':
      return load<typeof import('./stacks/apollo')>('./stacks/apollo').startApollo(env);
    case 'yoga':
    case 'yoga-jit':
      return load<typeof import('./stacks/yoga')>('./stacks/yoga').startYoga(env, kind === 'yoga-jit');
    case 'mercurius':
      return load<typeof import('./stacks/mercurius')>('./stacks/mercurius').startMercurius(env);
    default:
      throw new Error(`unknown bench server kind ${String(kind)}`);
  }
}

/**
 * One of V8's profilers through the inspector, on between its start and stop commands: `begin`
 * switches it on, `end` switches it off and returns its profile, which `stop` writes to the file.
 */
function inspectorProfiler<A>(begin: (post: Post, arg: A) => Promise<void>, end: (post: Post) => Promise<object>) {
  let session: Session | null = null;
  const post: Post = (method, params) =>
    new Promise((resolve, reject) =>
      session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as never))),
    );
  return {
    async start(arg: A) {
      session = new Session();
      session.connect();
      await begin(post, arg);
    },
    async stop(file: string) {
      const profile = await end(post);
      session!.disconnect();
      session = null;
      writeFileSync(file, JSON.stringify(profile));
    },
  };
}
type Post = <T>(method: string, params?: object) => Promise<T>;

/** The CPU profiler of this process, on between `profile-start` and `profile-stop`. */
const profiler = () =>
  inspectorProfiler<number>(
    async (post, intervalUs) => {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: intervalUs });
      await post('Profiler.start');
    },
    async (post) => {
      const { profile } = await post<{ profile: object }>('Profiler.stop');
      await post('Profiler.disable');
      return profile;
    },
  );

/**
 * V8's sampling heap profiler, on between `alloc-start` and `alloc-stop`: every allocation
 * sampled (one per 16 KB on average), those the GC has since collected included, so a profile
 * shows what each request allocates, not only what it keeps.
 */
const allocations = () =>
  inspectorProfiler<void>(
    async (post) => {
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', {
        samplingInterval: 16_384,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    async (post) => {
      const { profile } = await post<{ profile: object }>('HeapProfiler.stopSampling');
      await post('HeapProfiler.disable');
      return profile;
    },
  );

async function main() {
  const kind = process.argv[2] as Kind;
  // The server's modules first (keygate's tracing preload must see pg load), then the counter.
  const running = await start(kind, process.env);
  installSqlCounter();
  const cpu = profiler();
  const heap = allocations();

  const reply = (id: number, body: object) => process.send!({ id, ...body });
  process.on('message', (message: { id: number; cmd: string; arg?: string }) => {
    switch (message.cmd) {
      case 'stats': {
        const m = process.memoryUsage();
        return reply(message.id, { statements: sqlCounter.statements, rss: m.rss, heapUsed: m.heapUsed });
      }
      case 'capture':
        sqlCounter.capturing = [];
        return reply(message.id, {});
      case 'captured': {
        const statements = sqlCounter.capturing ?? [];
        sqlCounter.capturing = null;
        return reply(message.id, { statements });
      }
      case 'profile-start':
        return void cpu.start(Number(message.arg ?? 500)).then(() => reply(message.id, {}));
      case 'profile-stop':
        return void cpu.stop(message.arg!).then(() => reply(message.id, { file: message.arg }));
      case 'alloc-start':
        return void heap.start().then(() => reply(message.id, {}));
      case 'alloc-stop':
        return void heap.stop(message.arg!).then(() => reply(message.id, { file: message.arg }));
      case 'stop':
        return void running.close().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => void running.close().finally(() => process.exit(0)));
  process.send!({ ready: true, port: running.port });
}

main().catch((error) => {
  console.error(`bench server ${process.argv[2]} failed:`, error);
  process.exit(1);
});
