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
