import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Camunda8RestStub } from '@eddy/testing/camunda8-rest.stub';
import { camunda8TestCluster } from '@eddy/testing/camunda8-test-cluster';
import { processEngineContract } from '@eddy/testing/engine.contract';
import type { ProcessEngine } from '../engine.port';
import { Camunda8ProcessEngine } from './camunda8.engine';

// The engine port contract suite against the stub of Camunda 8.8's REST API, through @camunda8/sdk over
// HTTP; against a real cluster instead when EDDY_TEST_CAMUNDA8_ADDRESS is set (see the collector README).
// Each engine gets a stub of its own (kept across its restart), so no test sees another's jobs.
const cluster = camunda8TestCluster();
const dataDirs = new WeakMap<ProcessEngine, string>();
const stubs = new WeakMap<ProcessEngine, Camunda8RestStub>();

const open = (dataDir: string, stub: Camunda8RestStub | null): ProcessEngine => {
  const engine = Camunda8ProcessEngine.open({
    sdkConfig: cluster?.sdkConfig ?? {
      ZEEBE_REST_ADDRESS: stub!.url,
      CAMUNDA_AUTH_STRATEGY: 'NONE',
      CAMUNDA_LOG_LEVEL: 'none',
    },
    dataDir,
    pollTimeoutMs: cluster ? 5_000 : 200,
    redeliveryBackoffMs: 100,
    resyncIntervalMs: 0,
  });
  dataDirs.set(engine, dataDir);
  if (stub) stubs.set(engine, stub);
  return engine;
};

processEngineContract(cluster ? `camunda8 (cluster at ${cluster.address})` : 'camunda8 (REST stub)', {
  create: async () =>
    open(
      mkdtempSync(join(tmpdir(), 'eddy-camunda8-contract-')),
      cluster ? null : await Camunda8RestStub.start(),
    ),
  restart: async (engine) => {
    await engine.close();
    return open(dataDirs.get(engine)!, stubs.get(engine) ?? null);
  },
  dispose: async (engine) => {
    await engine.close();
    await stubs.get(engine)?.close();
    rmSync(dataDirs.get(engine)!, { recursive: true, force: true });
  },
  waitTimeoutMs: cluster ? 60_000 : 10_000,
});
