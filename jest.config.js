// @ts-check
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * The test tiers. `npm test` runs unit, int-embedded and e2e; `npm run test:int` runs int-servers
 * against the servers it starts; `npm run test:browser` and `npm run test:eventstoredb` the last two.
 * Select tiers with `--selectProjects <name>...`.
 */
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

/**
 * The installed packages published only as ES modules (`"type": "module"` without a `require`
 * export). Node.js 20 lets CommonJS require them; jest's module loader does not before Node.js 24,
 * so SWC compiles them to CommonJS like the sources.
 */
function esmOnlyPackages(dir = join(__dirname, 'node_modules')) {
  const names = new Set();
  const visit = (folder, name) => {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      const { type, exports, main } = JSON.parse(readFileSync(manifest, 'utf8'));
      const requirable = JSON.stringify(exports ?? '').includes('"require"') || String(main).endsWith('.cjs');
      if (type === 'module' && !requirable) names.add(name);
    }
    const nested = join(folder, 'node_modules');
    if (existsSync(nested)) scan(nested);
  };
  const scan = (modules) => {
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(modules, entry)))
          visit(join(modules, entry, scoped), `${entry}/${scoped}`);
      } else visit(join(modules, entry), entry);
    }
  };
  scan(dir);
  return [...names].sort();
}

const escapeRegExp = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A file is left as it is unless the package it belongs to (the last node_modules segment) is ES only.
const ignoredNodeModules = `/node_modules/(?!(?:${esmOnlyPackages().map(escapeRegExp).join('|')})/)(?:@[^/]+/)?[^/]+/(?:(?!/node_modules/).)*$`;

/** @type {import('jest').Config} */
const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // Nest's dependency injection reads decorator metadata, which SWC emits (.swcrc is not used:
  // the options are here so that the tests and `nest build` cannot drift apart silently).
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true, tsx: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: [ignoredNodeModules],
  moduleNameMapper: Object.fromEntries(
    libs.flatMap((l) => [
      [`^@eddy/${l}$`, `<rootDir>/libs/${l}/src`],
      [`^@eddy/${l}/(.*)$`, `<rootDir>/libs/${l}/src/$1`],
    ]),
  ),
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.infra/', '<rootDir>/.corpus/'],
};

/**
 * @param {string} name
 * @param {string[]} testMatch
 * @param {number} testTimeout milliseconds for each test and hook
 * @param {import('jest').Config} [more]
 * @returns {import('jest').Config}
 */
function tier(name, testMatch, testTimeout, more = {}) {
  return {
    ...shared,
    testPathIgnorePatterns: ['/node_modules/'],
    displayName: name,
    testMatch: testMatch.map((glob) => `<rootDir>/${glob}`),
    globals: { TIER_TEST_TIMEOUT: testTimeout },
    setupFilesAfterEnv: ['<rootDir>/test/support/tier-timeout.setup.ts'],
    ...more,
  };
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    tier('unit', ['{src,libs,test,bench}/**/*.unit.spec.ts'], 20_000),
    // Integration specs against the embedded stores: no server to start.
    tier('int-embedded', ['{src,libs}/**/*.int.spec.ts'], 60_000, {
      testPathIgnorePatterns: ['/node_modules/', '\\.server\\.int\\.spec\\.ts$'],
    }),
    tier('e2e', ['test/**/*.e2e.spec.ts'], 60_000),
    // The web tasklist in Debian's Chromium against the built application (npm run test:browser).
    tier('browser', ['test/browser/**/*.browser.spec.ts'], 120_000, {
      // Screenshots of the page at a failed step (onTestFailed in test/browser/browser.ts).
      testEnvironment: '<rootDir>/test/browser/failure-hooks.environment.ts',
    }),
    // Integration specs that need the real servers started by `npm run infra:up`.
    tier('int-servers', ['{src,libs,test}/**/*.server.int.spec.ts'], 300_000),
    // The EventStoreDB adapter against a server of its own (EDDY_TEST_EVENTSTOREDB_URL): not in CI,
    // since no EventStoreDB server can be had on this project's machines.
    tier('eventstoredb', ['libs/**/*.esdb.spec.ts'], 180_000),
  ],
  // No forceExit: a run that stays alive after its tests have passed has left something open, which is
  // to be found (`--detectOpenHandles`) and closed by its owner, not hidden.
};
