import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';

const libs = [
  'contracts',
  'eventstore',
  'taskpool',
  'datapool',
  'collector',
  'projections',
  'tasklist',
  'messaging',
  'admin',
  'testing',
  'auth',
  'observability',
];

// Nest's dependency injection reads decorator metadata, which esbuild does not emit: SWC does.
const shared = {
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: Object.fromEntries(libs.map((l) => [`@eddy/${l}`, resolve(__dirname, `libs/${l}/src`)])),
  },
};

export default defineConfig({
  ...shared,
  test: {
    projects: [
      {
        ...shared,
        test: { name: 'unit', include: ['{src,libs,test}/**/*.unit.spec.ts'], testTimeout: 20_000 },
      },
      {
        // Integration specs against the embedded stores: no server to start.
        ...shared,
        test: {
          name: 'int-embedded',
          include: ['{src,libs}/**/*.int.spec.ts'],
          exclude: ['**/*.server.int.spec.ts', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.spec.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The web tasklist in Debian's Chromium against the built application (npm run test:browser).
        ...shared,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.browser.spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Integration specs that need the real servers started by `npm run infra:up`.
        ...shared,
        test: {
          name: 'int-servers',
          include: ['{src,libs,test}/**/*.server.int.spec.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The EventStoreDB adapter against a server of its own (EDDY_TEST_EVENTSTOREDB_URL): not in CI,
        // since no EventStoreDB server can be had on this project's machines.
        ...shared,
        test: {
          name: 'eventstoredb',
          include: ['libs/**/*.esdb.spec.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
