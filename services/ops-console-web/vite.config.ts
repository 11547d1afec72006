import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The ops console's browser bundle: hashed assets under /assets, served by services/ops-console from
 * dist/services/ops-console-web. Of libs/contracts only the ops console's contract file is imported
 * (plain data and types): zod and the topic schemas never reach the browser (check-bundle.mjs checks).
 * `nx run ops-console-web:serve` runs Vite's dev server on 127.0.0.1:4300 with /api sent to the
 * console's server on 3005.
 */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  resolve: {
    alias: { '@slidecharge/contracts/ops-console': `${root}libs/contracts/src/ops-console.ts` },
  },
  build: {
    outDir: `${root}dist/services/ops-console-web`,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: '127.0.0.1',
    port: 4300,
    strictPort: true,
    proxy: { '/api': { target: process.env.OPS_CONSOLE_URL ?? 'http://127.0.0.1:3005', changeOrigin: false } },
  },
});
