/**
 * Benchmark runner: `npm run bench -- <suite> [<suite> ...]`, or `npm run bench -- all`.
 *
 * A suite is a file `bench/<suite>.bench.ts` exporting `run(context)` (or a default function) that
 * returns its figures; the runner prints them as a table and writes `bench-results/<suite>.json`.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { machineDescription, printTable, writeResults } from './lib/report';
import { type BenchSuite, createContext } from './lib/suite';

const root = resolve(__dirname, '..');
const suffix = '.bench.ts';

function availableSuites(): string[] {
  return readdirSync(__dirname)
    .filter((file) => file.endsWith(suffix))
    .map((file) => file.slice(0, -suffix.length))
    .sort();
}

async function loadSuite(name: string): Promise<BenchSuite> {
  const module = (await import(join(__dirname, `${name}${suffix}`))) as { run?: unknown; default?: unknown };
  const candidate = module.run ?? module.default;
  // Under CommonJS interop a default export may arrive wrapped once more.
  const suite =
    typeof candidate === 'function' ? candidate : (candidate as { default?: unknown } | undefined)?.default;
  if (typeof suite !== 'function')
    throw new Error(`bench/${name}${suffix} exports neither run nor a default function`);
  return suite as BenchSuite;
}

async function main(): Promise<void> {
  const available = availableSuites();
  const requested = process.argv.slice(2).filter((arg) => arg !== '--');
  if (requested.length === 0) {
    console.log(`usage: npm run bench -- <suite>|all\nsuites: ${available.join(', ') || '(none)'}`);
    process.exitCode = 1;
    return;
  }
  const names = requested.includes('all') ? available : requested;
  const unknown = names.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown suite ${unknown.join(', ')}; suites: ${available.join(', ')}`);
  }
  console.log(`machine: ${machineDescription()}`);
  for (const name of names) {
    const suite = await loadSuite(name);
    const context = createContext(root, name);
    try {
      const results = await suite(context);
      printTable(name, results);
      console.log(`written: ${writeResults(root, name, results)}`);
    } finally {
      context.dispose();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
