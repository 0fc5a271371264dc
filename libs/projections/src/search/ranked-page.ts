import { compileSort, selectPage } from '../view-filters';

/** A document that matched a search, with its relevance. */
export interface Ranked<T> {
  id: string;
  score: number;
  document: T;
}

/** The order of search results without an explicit sort: the most relevant first, then by id. */
const BY_RELEVANCE = compileSort([{ field: 'RELEVANCE' as const, direction: 'DESC' }], {
  RELEVANCE: (r: Ranked<unknown>) => r.score,
});

/**
 * One page of search results by relevance, with the view store's cursors (the relevance and the id
 * of the last node), so that both stores page the same way.
 */
export function selectRankedPage<T>(
  ranked: Iterable<Ranked<T>>,
  first: number,
  after: string | null | undefined,
): { nodes: T[]; hasNextPage: boolean; endCursor: string | null } {
  const page = selectPage(ranked, BY_RELEVANCE, first, after);
  return {
    nodes: page.nodes.map((r) => r.document as T),
    hasNextPage: page.hasNextPage,
    endCursor: page.endCursor,
  };
}
