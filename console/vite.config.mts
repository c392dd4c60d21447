import { defineConfig } from 'vite';

/**
 * The console is served by keygate itself under /console/ (src/http/console.routes.ts), from
 * this build: hashed files under assets/ (cached for good), index.html (revalidated every load).
 * No plugins: Vite's own TSX transform (React's automatic runtime, from tsconfig.json) is enough.
 */
export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline data: URLs, so the page's Content-Security-Policy can stay at 'self'.
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
