import type { Plugin } from 'vite';
import { gzipSync } from 'node:zlib';

/**
 * Fails the build when the page's JavaScript, gzipped, exceeds `limitBytes`. Counted: every
 * chunk the page loads at start (the entry and its static imports); chunks loaded on demand
 * (`import()`) are counted each on its own against the same limit, since a user never loads
 * them all at once.
 */
export function sizeBudget(limitBytes: number): Plugin {
  return {
    name: 'eddy-size-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((o) => o.type === 'chunk');
      const gzipped = new Map(chunks.map((c) => [c.fileName, gzipSync(c.code).length]));
      const initial = new Set<string>();
      const visit = (fileName: string) => {
        if (initial.has(fileName)) return;
        initial.add(fileName);
        const chunk = chunks.find((c) => c.fileName === fileName);
        chunk?.imports.forEach(visit);
      };
      chunks.filter((c) => c.isEntry).forEach((c) => visit(c.fileName));
      const atStart = [...initial].reduce((sum, f) => sum + (gzipped.get(f) ?? 0), 0);
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      this.info(`page JavaScript at start: ${kb(atStart)} gzipped (budget ${kb(limitBytes)})`);
      const over: string[] = [];
      if (atStart > limitBytes) over.push(`the page's JavaScript at start is ${kb(atStart)} gzipped`);
      for (const c of chunks.filter((c) => !initial.has(c.fileName))) {
        const size = gzipped.get(c.fileName) ?? 0;
        this.info(`on-demand chunk ${c.fileName}: ${kb(size)} gzipped`);
        if (size > limitBytes) over.push(`the on-demand chunk ${c.fileName} is ${kb(size)} gzipped`);
      }
      if (over.length > 0)
        this.error(`WEB-001 over the size budget of ${kb(limitBytes)}: ${over.join('; ')}`);
    },
  };
}
