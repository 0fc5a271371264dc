import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { sizeBudget } from './size-budget.plugin';

/** The web tasklist: built into dist/tasklist-web, which the API serves at /tasklist. */
export default defineConfig({
  root: __dirname,
  base: '/tasklist/',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: resolve(__dirname, '../../../dist/tasklist-web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
  plugins: [sizeBudget(250 * 1024)],
});
