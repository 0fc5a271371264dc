import { lowerBound, matchWeight, type SearchQuery } from './search-query';
import { compareTokens, type SearchTerms } from './search-terms';

/**
 * The memory store's inverted index of search terms: token -> the documents holding it, with its
 * weight there. A search walks, per word, the range of tokens that start with it in a sorted token
 * list, so that it reads only the documents that match instead of every document of the view.
 *
 * The sorted list is kept up to date lazily: new tokens wait in a short list that the next search
 * merges in; tokens no document holds any more are skipped, and dropped once they are half the list.
 */
export class MemorySearchIndex {
  private readonly postings = new Map<string, Map<string, number>>();
  private readonly termsOf = new Map<string, SearchTerms>();
  private sorted: string[] = [];
  private added: string[] = [];
  private stale = 0;

  /** Indexes a document's terms (replacing what it had). */
  set(id: string, terms: SearchTerms): void {
    this.delete(id);
    this.termsOf.set(id, terms);
    terms.tokens.forEach((token, i) => {
      let holders = this.postings.get(token);
      if (!holders) {
        this.postings.set(token, (holders = new Map()));
        this.added.push(token);
      }
      holders.set(id, terms.weights[i]);
    });
  }

  delete(id: string): void {
    const terms = this.termsOf.get(id);
    if (!terms) return;
    this.termsOf.delete(id);
    for (const token of terms.tokens) {
      const holders = this.postings.get(token)!;
      holders.delete(id);
      if (holders.size === 0) {
        this.postings.delete(token);
        this.stale++;
      }
    }
  }

  /** The ids of the documents that match every word, with their relevance (`searchScore`'s). */
  match(query: SearchQuery): Map<string, number> {
    this.settle();
    let result: Map<string, number> | null = null;
    // The word whose tokens the fewest documents hold first: the intersection only shrinks.
    const ranges = query.words
      .map((word) => ({ word, ...this.range(word) }))
      .map((r) => ({ ...r, holders: this.holdersIn(r.start, r.end) }))
      .sort((a, b) => a.holders - b.holders);
    for (const { word, start, end, holders: count } of ranges) {
      if (result !== null && result.size * (end - start) < count) {
        // Fewer matches so far than holders of this word's tokens: look each match up instead.
        result = this.narrow(result, word, start, end);
        if (result.size === 0) break;
        continue;
      }
      const best = new Map<string, number>();
      for (let i = start; i < end; i++) {
        const token = this.sorted[i];
        const holders = this.postings.get(token);
        if (!holders) continue;
        for (const [id, weight] of holders) {
          if (result !== null && !result.has(id)) continue;
          const w = matchWeight(token, weight, word);
          if (w > (best.get(id) ?? 0)) best.set(id, w);
        }
      }
      if (result === null) result = best;
      else {
        const previous: Map<string, number> = result;
        result = new Map();
        for (const [id, w] of best) result.set(id, previous.get(id)! + w);
      }
      if (result.size === 0) break;
    }
    return result ?? new Map();
  }

  /** The matches so far that hold a token of the range too, with that word's best weight added. */
  private narrow(
    matches: Map<string, number>,
    word: string,
    start: number,
    end: number,
  ): Map<string, number> {
    const next = new Map<string, number>();
    for (const [id, score] of matches) {
      let best = 0;
      for (let i = start; i < end; i++) {
        const weight = this.postings.get(this.sorted[i])?.get(id);
        if (weight !== undefined) best = Math.max(best, matchWeight(this.sorted[i], weight, word));
      }
      if (best > 0) next.set(id, score + best);
    }
    return next;
  }

  private holdersIn(start: number, end: number): number {
    let holders = 0;
    for (let i = start; i < end; i++) holders += this.postings.get(this.sorted[i])?.size ?? 0;
    return holders;
  }

  private range(word: string): { start: number; end: number } {
    const start = lowerBound(this.sorted, word);
    let end = start;
    while (end < this.sorted.length && this.sorted[end].startsWith(word)) end++;
    return { start, end };
  }

  /** Merges the new tokens into the sorted list, and drops the stale ones when they are many. */
  private settle(): void {
    if (this.stale > 1_000 && this.stale > this.sorted.length / 2) {
      this.sorted = this.sorted.filter((t) => this.postings.has(t));
      this.stale = 0;
    }
    if (this.added.length === 0) return;
    const added = this.added.sort(compareTokens);
    this.added = [];
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < this.sorted.length || j < added.length) {
      const next =
        j >= added.length || (i < this.sorted.length && compareTokens(this.sorted[i], added[j]) <= 0)
          ? this.sorted[i++]
          : added[j++];
      if (merged.length === 0 || merged[merged.length - 1] !== next) merged.push(next);
    }
    this.sorted = merged;
  }
}
