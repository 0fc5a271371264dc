import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchResult } from './report';

/** What the runner hands a suite. */
export interface BenchContext {
  /** The repository's root folder. */
  root: string;
  /** A fresh folder on the repository's disk (not tmpfs), removed after the suite. */
  tempDir(name: string): string;
  /** Progress output (goes to stderr so that stdout keeps the table). */
  log(message: string): void;
}

/**
 * A benchmark suite: the file `bench/<name>.bench.ts` exports `run` (or a default export) with
 * this signature; `npm run bench -- <name>` finds it by its file name.
 */
export type BenchSuite = (context: BenchContext) => Promise<BenchResult[]>;

/** Creates the context of one suite run; call `dispose` afterwards. */
export function createContext(root: string, suite: string): BenchContext & { dispose(): void } {
  const base = join(root, '.eddy-tmp', 'bench');
  mkdirSync(base, { recursive: true });
  const dirs: string[] = [];
  return {
    root,
    tempDir: (name) => {
      const dir = mkdtempSync(join(base, `${suite}-${name}-`));
      dirs.push(dir);
      return dir;
    },
    log: (message) => process.stderr.write(`[${suite}] ${message}\n`),
    dispose: () => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
