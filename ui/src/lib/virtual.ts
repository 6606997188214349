// Windowing math for a virtually scrolled list of fixed-height rows (pure, so it is easy to test).

export type WindowInput = {
  /** The scroller's scrollTop (px). */
  scrollTop: number;
  /** The scroller's visible height (px). */
  viewportHeight: number;
  /** Every row's height (px, > 0). */
  rowHeight: number;
  /** Rows loaded so far. */
  count: number;
  /** Extra rows rendered above and below the visible ones. */
  overscan: number;
};

export type VirtualWindow = {
  /** First row to render (inclusive). */
  start: number;
  /** Row after the last one to render (exclusive); `start === end` renders nothing. */
  end: number;
  /** First and last row at least partly visible; -1 when there are no rows. */
  firstVisible: number;
  lastVisible: number;
  /** Height of all `count` rows (px). */
  totalHeight: number;
};

const EMPTY: VirtualWindow = { start: 0, end: 0, firstVisible: -1, lastVisible: -1, totalHeight: 0 };

export function visibleWindow({
  scrollTop,
  viewportHeight,
  rowHeight,
  count,
  overscan,
}: WindowInput): VirtualWindow {
  if (count <= 0 || !(rowHeight > 0)) return EMPTY;
  const totalHeight = count * rowHeight;
  const top = Math.min(Math.max(Number.isFinite(scrollTop) ? scrollTop : 0, 0), totalHeight - rowHeight);
  const height = Math.max(0, Number.isFinite(viewportHeight) ? viewportHeight : 0);
  const firstVisible = Math.floor(top / rowHeight);
  // A row is visible when any part of it is inside [top, top + height).
  const lastVisible = Math.min(count - 1, Math.max(firstVisible, Math.ceil((top + height) / rowHeight) - 1));
  const extra = Math.max(0, Math.floor(overscan));
  return {
    start: Math.max(0, firstVisible - extra),
    end: Math.min(count, lastVisible + extra + 1),
    firstVisible,
    lastVisible,
    totalHeight,
  };
}

export type LoadMoreInput = {
  /** The last visible row (-1: none). */
  lastVisible: number;
  /** Rows loaded so far. */
  count: number;
  /** The server has more rows (a next cursor). */
  hasMore: boolean;
  /** A page is being fetched already. */
  loading: boolean;
  /** Fetch when at most this many loaded rows are left below the last visible one. */
  threshold: number;
};

/** True when the next page should be fetched now. */
export function shouldLoadMore({ lastVisible, count, hasMore, loading, threshold }: LoadMoreInput): boolean {
  if (!hasMore || loading) return false;
  if (count <= 0) return true;
  return count - 1 - lastVisible <= threshold;
}

/**
 * The scrollTop that brings row `index` fully into view with the least movement, or null when it
 * is already fully visible.
 */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | null {
  if (index < 0) return null;
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return null;
}
