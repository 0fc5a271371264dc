import { describe, expect, it } from '@jest/globals';
import { createViewStore } from '../projections.module';

describe('MongoDB view store start-up', () => {
  it('stops with the setting name when the server cannot be reached', async () => {
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    await expect(
      createViewStore({
        mongodb: { url: 'mongodb://127.0.0.1:1', database: 'eddy', serverSelectionTimeoutMS: 300 },
      }),
    ).rejects.toThrow(/^CONFIG-010 EDDY_MONGODB_URL: cannot open the view store in database 'eddy'/);
  });

  it('refuses a process that does not project over the memory view store, naming EDDY_PROJECTIONS', async () => {
    await expect(createViewStore({ projecting: false })).rejects.toThrow(
      /^CONFIG-011 EDDY_PROJECTIONS: off needs views that another process projects/,
    );
  });
});
