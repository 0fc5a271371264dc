/** Previous and next page buttons of a list, shown when it has more than one page. */
export function Pager({
  label,
  page,
  pages,
  hasNext = page < pages - 1,
  onPage,
}: {
  label: string;
  page: number;
  pages: number;
  /** Whether there is a page after this one, when the list knows better than `pages`. */
  hasNext?: boolean;
  onPage: (page: number) => void;
}) {
  if (pages <= 1) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>
        Previous page
      </button>
      <span>
        Page {page + 1} of {pages}
      </span>
      <button type="button" disabled={!hasNext} onClick={() => onPage(page + 1)}>
        Next page
      </button>
    </nav>
  );
}
