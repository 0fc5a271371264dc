import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One figure of a benchmark, as written to `bench-results/<suite>.json`. */
export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  /** The same measurement with the raw driver or the reference implementation, when there is one. */
  baseline?: number;
  /** `value / baseline`, when there is a baseline. */
  ratio?: number;
}

/** A result with its ratio to a baseline computed. */
export function compared(metric: string, value: number, unit: string, baseline: number): BenchResult {
  return { metric, value, unit, baseline, ratio: value / baseline };
}

/** Rounds for display and for the JSON file: 3 significant digits below 1000, whole numbers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 1000) return Math.round(value);
  return Number(value.toPrecision(3));
}

/** Prints the results as an aligned table. */
export function printTable(suite: string, results: readonly BenchResult[]): void {
  const rows = [
    ['metric', 'value', 'unit', 'baseline', 'ratio'],
    ...results.map((r) => [
      r.metric,
      String(round(r.value)),
      r.unit,
      r.baseline === undefined ? '' : String(round(r.baseline)),
      r.ratio === undefined ? '' : r.ratio.toFixed(2),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]): string =>
    row.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(`\n${suite}`);
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

/** Prints the results as a Markdown table (for docs/benchmarks.md). */
export function markdownTable(results: readonly BenchResult[]): string {
  const lines = ['| metric | value | unit | baseline | ratio |', '| --- | ---: | --- | ---: | ---: |'];
  for (const r of results) {
    lines.push(
      `| ${r.metric} | ${round(r.value)} | ${r.unit} | ${r.baseline === undefined ? '' : round(r.baseline)} | ${
        r.ratio === undefined ? '' : r.ratio.toFixed(2)
      } |`,
    );
  }
  return lines.join('\n');
}

/** Writes `bench-results/<suite>.json` under `root`; returns the file's path. */
export function writeResults(root: string, suite: string, results: readonly BenchResult[]): string {
  const dir = join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  const rounded = results.map((r) => ({
    metric: r.metric,
    value: round(r.value),
    unit: r.unit,
    ...(r.baseline === undefined ? {} : { baseline: round(r.baseline) }),
    ...(r.ratio === undefined ? {} : { ratio: Number(r.ratio.toFixed(3)) }),
  }));
  writeFileSync(file, `${JSON.stringify(rounded, null, 2)}\n`);
  return file;
}

/** A one-line description of the machine, for the report. */
export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}
