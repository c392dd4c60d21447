// After `vite build console`: a Brotli (.br) and a gzip (.gz) copy of every text file in
// console/dist, written once at build time. @fastify/static (preCompressed) sends the one the
// browser accepts, so the 266 KB script travels as about 70 KB with no compression per request.
const { readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const dist = path.resolve(__dirname, '..', 'console', 'dist');
const TEXT = /\.(js|css|html|svg|json|txt|map)$/;
const MIN_BYTES = 1024;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else yield full;
  }
}

let written = 0;
for (const file of files(dist)) {
  if (!TEXT.test(file)) continue;
  const body = readFileSync(file);
  if (body.length < MIN_BYTES) continue;
  writeFileSync(`${file}.br`, zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
  written += 1;
}
console.log(`console: ${written} files pre-compressed (.br, .gz)`);
