/**
 * Layering rules: the domain (contracts and deciders) is pure. It may not import Nest, an adapter,
 * a driver or Node's I/O modules. `npm run lint` fails when it does.
 */
const domain = '^libs/(contracts/src|taskpool/src/domain|datapool/src/domain)/';
module.exports = {
  forbidden: [
    {
      name: 'domain-no-framework',
      severity: 'error',
      comment: 'Deciders and contracts are pure functions and data: no Nest, no RxJS, no drivers.',
      from: { path: domain, pathNot: '\\.spec\\.ts$' },
      to: {
        path: 'node_modules/(@nestjs|rxjs|better-sqlite3|pg|mongodb|kafkajs|@camunda8|bpmn-engine|ws|graphql|express|pino)',
      },
    },
    {
      name: 'domain-no-io',
      severity: 'error',
      comment:
        'Time and ids arrive with the command; the domain never touches files, sockets or clocks of its own.',
      from: { path: domain, pathNot: '\\.spec\\.ts$' },
      to: {
        dependencyTypes: ['core'],
        path: '^(fs|net|http|https|child_process|worker_threads|dgram|dns|tls|crypto)$',
      },
    },
    {
      name: 'domain-no-adapters',
      severity: 'error',
      comment: 'The domain may use only contracts and itself.',
      from: { path: domain, pathNot: '\\.spec\\.ts$' },
      to: {
        path: '^(libs/(eventstore|projections|tasklist|collector|messaging|admin|testing)|src)/',
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(node_modules|dist)' },
  },
};
