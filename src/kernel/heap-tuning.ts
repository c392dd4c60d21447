import type { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by main.ts (and by the bench's keygate process, which starts the way main.ts
 * does): V8's allocation-site pretenuring is switched off for keygate's process.
 *
 * V8 watches the objects made at each allocation site (an object or array literal), and when
 * nearly all of them survive a young-generation collection while that generation is at its
 * largest, it allocates the site's objects straight into old space from then on. Under a request
 * load the decision lands on sites whose objects live for one request — pg's result arrays, a
 * page's objects — because ten requests in flight keep them alive at every scavenge. Made in old
 * space they die there, and until the next full collection they still point at the young objects
 * they held (the page's rows, strings, dates), so every scavenge copies those into old space as
 * well: with connections already classes, `apiKeys(first: 50)` still promoted 90 KB per request
 * and spent 239 µs per request collecting garbage; without pretenuring 5.5 KB and 92 µs
 * (docs/hot-path.md, "Garbage").
 *
 * A flag V8 reads when it makes an allocation site and at every collection: set before the
 * application's modules load, it holds for the process's whole life (test/unit/heap-tuning.test.ts).
 */
setFlagsFromString('--no-allocation-site-pretenuring');

/**
 * Once start-up is done, before listening: one memory-reducing full collection. Start-up
 * (migrations, two schema builds, ~1,750 modules) grows V8's young generation to its largest —
 * 33.6 MB committed, 5.5 MB used once it is over — and V8 gives it back only when its memory reducer
 * finds the heap idle: 10–20 s later in some processes, not within 30 s in others (bench/RESULTS.md).
 * This gives it back at once (keygate's RSS after start 126 → ~90 MB), for ~30 ms, once. Node's
 * one public way to ask V8 for that collection is the in-process inspector's
 * `HeapProfiler.collectGarbage` (V8's LowMemoryNotification); the session is local to the process
 * and closed right after.
 */
export async function releaseStartupMemory(): Promise<void> {
  let session: Session;
  try {
    // Required here: the inspector module throws as it loads on a Node built without the inspector.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    session = new (require('node:inspector/promises') as typeof import('node:inspector/promises')).Session();
  } catch {
    return;
  }
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
}
