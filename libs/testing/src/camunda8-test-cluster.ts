/**
 * A real Camunda 8.8+ cluster for the Camunda 8 adapter's specs, when a user gives one: the project never
 * downloads or runs Camunda's broker (its licence is not open source), so by default those specs run against
 * the REST stub (`camunda8-rest.stub.ts`).
 *
 * | variable                              | meaning                                                         |
 * | ------------------------------------- | --------------------------------------------------------------- |
 * | `EDDY_TEST_CAMUNDA8_ADDRESS`          | REST address of the cluster (`https://...`, without `/v2`)       |
 * | `EDDY_TEST_CAMUNDA8_AUTH`             | `NONE` (default), `OAUTH` or `BASIC`                             |
 * | `EDDY_TEST_CAMUNDA8_CLIENT_ID` / `_CLIENT_SECRET` | OAuth client credentials                              |
 * | `EDDY_TEST_CAMUNDA8_OAUTH_URL`        | token endpoint (OAuth)                                          |
 * | `EDDY_TEST_CAMUNDA8_AUDIENCE`         | token audience (OAuth), when the cluster needs one              |
 * | `EDDY_TEST_CAMUNDA8_USERNAME` / `_PASSWORD` | basic authentication                                       |
 * | `EDDY_TEST_CAMUNDA8_TENANT`           | tenant id, when the cluster has multi-tenancy                   |
 */
export interface Camunda8TestCluster {
  address: string;
  /** The SDK's configuration keys for the cluster. */
  sdkConfig: Record<string, string>;
}

/** The cluster the `EDDY_TEST_CAMUNDA8_*` settings name, or null when `EDDY_TEST_CAMUNDA8_ADDRESS` is unset. */
export function camunda8TestCluster(env: NodeJS.ProcessEnv = process.env): Camunda8TestCluster | null {
  const address = env['EDDY_TEST_CAMUNDA8_ADDRESS']?.trim();
  if (!address) return null;
  const auth = (env['EDDY_TEST_CAMUNDA8_AUTH']?.trim() || 'NONE').toUpperCase();
  if (!['NONE', 'OAUTH', 'BASIC'].includes(auth)) {
    throw new Error(`EDDY_TEST_CAMUNDA8_AUTH must be NONE, OAUTH or BASIC, not ${auth}`);
  }
  const optional: [string, string][] = [
    ['ZEEBE_CLIENT_ID', 'EDDY_TEST_CAMUNDA8_CLIENT_ID'],
    ['ZEEBE_CLIENT_SECRET', 'EDDY_TEST_CAMUNDA8_CLIENT_SECRET'],
    ['CAMUNDA_OAUTH_URL', 'EDDY_TEST_CAMUNDA8_OAUTH_URL'],
    ['CAMUNDA_ZEEBE_OAUTH_AUDIENCE', 'EDDY_TEST_CAMUNDA8_AUDIENCE'],
    ['CAMUNDA_BASIC_AUTH_USERNAME', 'EDDY_TEST_CAMUNDA8_USERNAME'],
    ['CAMUNDA_BASIC_AUTH_PASSWORD', 'EDDY_TEST_CAMUNDA8_PASSWORD'],
    ['CAMUNDA_TENANT_ID', 'EDDY_TEST_CAMUNDA8_TENANT'],
  ];
  const sdkConfig: Record<string, string> = { ZEEBE_REST_ADDRESS: address, CAMUNDA_AUTH_STRATEGY: auth };
  for (const [sdkKey, envKey] of optional) {
    const value = env[envKey]?.trim();
    if (value) sdkConfig[sdkKey] = value;
  }
  if (auth === 'OAUTH' && (!sdkConfig['ZEEBE_CLIENT_ID'] || !sdkConfig['ZEEBE_CLIENT_SECRET'])) {
    throw new Error(
      'EDDY_TEST_CAMUNDA8_CLIENT_ID and EDDY_TEST_CAMUNDA8_CLIENT_SECRET are required with OAUTH',
    );
  }
  return { address, sdkConfig };
}
