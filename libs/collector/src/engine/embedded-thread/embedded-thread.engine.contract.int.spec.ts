import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEngineContract } from '@eddy/testing/engine.contract';
import { type ProcessEngine } from '../engine.port';
import {
  EmbeddedEngineThread,
  SharedClockOffset,
  type EmbeddedEngineThreadOptions,
} from './embedded-thread.engine';

const dataDirs = new WeakMap<ProcessEngine, string>();
const clocks = new WeakMap<ProcessEngine, SharedClockOffset>();

const open = async (dataDir: string, extra: Partial<EmbeddedEngineThreadOptions> = {}) => {
  const clockOffset = new SharedClockOffset();
  const engine = await EmbeddedEngineThread.open({
    dataDir,
    clockOffset,
    durability: 'normal',
    redelivery: { initialDelayMs: 10, maxDelayMs: 50 },
    ...extra,
  });
  dataDirs.set(engine, dataDir);
  clocks.set(engine, clockOffset);
  return engine;
};

processEngineContract('embedded on a thread of its own (SQLite file)', {
  create: () => open(mkdtempSync(join(tmpdir(), 'eddy-engine-thread-contract-'))),
  restart: async (engine) => {
    await engine.close();
    return open(dataDirs.get(engine)!);
  },
  advanceClock: (engine, ms) => clocks.get(engine)!.advance(ms),
  dispose: async (engine) => {
    await engine.close();
    rmSync(dataDirs.get(engine)!, { recursive: true, force: true });
  },
});

processEngineContract('embedded on a thread of its own (in memory)', {
  create: () => open(join(tmpdir(), 'eddy-engine-thread-contract-unused'), { inMemory: true }),
  advanceClock: (engine, ms) => clocks.get(engine)!.advance(ms),
});
