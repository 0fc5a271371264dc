import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEngineContract } from '@eddy/testing/engine.contract';
import { type ProcessEngine } from '../engine.port';
import { EmbeddedProcessEngine, type EmbeddedProcessEngineOptions } from './embedded.engine';

const dataDirs = new WeakMap<ProcessEngine, string>();
/** How far each engine's clock is ahead of the real one. */
const clockOffsets = new WeakMap<ProcessEngine, { ms: number }>();

const open = async (dataDir: string, extra: Partial<EmbeddedProcessEngineOptions> = {}) => {
  const offset = { ms: 0 };
  const engine = await EmbeddedProcessEngine.open({
    dataDir,
    clock: () => new Date(Date.now() + offset.ms),
    durability: 'normal',
    redelivery: { initialDelayMs: 10, maxDelayMs: 50 },
    ...extra,
  });
  dataDirs.set(engine, dataDir);
  clockOffsets.set(engine, offset);
  return engine;
};

processEngineContract('embedded (SQLite file)', {
  create: () => open(mkdtempSync(join(tmpdir(), 'eddy-engine-contract-'))),
  restart: async (engine) => {
    await engine.close();
    return open(dataDirs.get(engine)!);
  },
  advanceClock: (engine, ms) => {
    clockOffsets.get(engine)!.ms += ms;
  },
  dispose: async (engine) => {
    await engine.close();
    rmSync(dataDirs.get(engine)!, { recursive: true, force: true });
  },
});

processEngineContract('embedded (in memory)', {
  create: () => open(join(tmpdir(), 'eddy-engine-contract-unused'), { inMemory: true }),
  advanceClock: (engine, ms) => {
    clockOffsets.get(engine)!.ms += ms;
  },
});
