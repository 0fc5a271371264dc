import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { unknownSettings } from './eddy.config';

const root = join(__dirname, '../..');
/** Folders that hold no source of the project: installed, built, generated or kept data. */
const SKIPPED = new Set(['node_modules', 'dist', '.git', 'data', 'bench-results', 'test-results', '.infra']);
const TEXT =
  /\.(ts|tsx|js|mjs|cjs|json|md|sh|ya?ml|graphql|bpmn|html)$|(^|\/)(Dockerfile|\.dockerignore|run)$/;

function textFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return textFiles(path);
    return TEXT.test(relative(root, path)) && entry.name !== 'package-lock.json' ? [path] : [];
  });
}

describe('the settings the repository uses', () => {
  it('are all settings of the configuration (scripts, tests, docs, deployment files)', () => {
    const named = new Map<string, string>();
    for (const file of textFiles(root)) {
      // A name followed by `*` or `_` is a family (EDDY_JWT_*, EDDY_TEST_), not one setting.
      for (const match of readFileSync(file, 'utf8').matchAll(/\bEDDY_[A-Z0-9_]*[A-Z0-9]\b(?![*_])/g)) {
        if (!named.has(match[0])) named.set(match[0], relative(root, file));
      }
    }
    // Names that specs make up to show that unknown ones are refused.
    const madeUp = ['EDDY_X', 'EDDY_HTTP_PROT', 'EDDY_VEIW_STORE', 'EDDY_BENCH_X', 'EDDY_ADMIN_TOKN'];
    const unknown = unknownSettings(Object.fromEntries([...named.keys()].map((name) => [name, 'x'])))
      .filter((name) => !madeUp.includes(name))
      .map((name) => `${name} (${named.get(name)})`);
    expect(unknown).toEqual([]);
    expect(named.size).toBeGreaterThan(40);
  });
});
