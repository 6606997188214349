// Keyboard navigation of a list with one selected item (pure, so it is easy to test).

export type NavOutcome = {
  /** The selected index after the key (-1: nothing selected). */
  selected: number;
  /** The index to open (Enter on a selected item), otherwise null. */
  open: number | null;
};

const KEYS = new Set(['ArrowDown', 'ArrowUp', 'Home', 'End', 'Enter']);

export function isNavKey(key: string): boolean {
  return KEYS.has(key);
}

/** Clamp an index into 0..count-1; -1 when the list is empty. */
export function clampIndex(index: number, count: number): number {
  if (count <= 0) return -1;
  return Math.min(Math.max(index, 0), count - 1);
}

/**
 * The outcome of `key` with `selected` chosen among `count` items, or null when the key is not a
 * navigation key (the caller then leaves the event alone). Moves stop at the ends (no wrap).
 */
export function navigate(key: string, selected: number, count: number): NavOutcome | null {
  if (!isNavKey(key)) return null;
  if (count <= 0) return { selected: -1, open: null };
  const current = selected < 0 ? -1 : clampIndex(selected, count);
  switch (key) {
    case 'ArrowDown':
      return { selected: current < 0 ? 0 : clampIndex(current + 1, count), open: null };
    case 'ArrowUp':
      return { selected: current < 0 ? 0 : clampIndex(current - 1, count), open: null };
    case 'Home':
      return { selected: 0, open: null };
    case 'End':
      return { selected: count - 1, open: null };
    default: // Enter
      return { selected: current, open: current >= 0 ? current : null };
  }
}

/** Scrolls the row with `data-index={index}` inside `list` into view (after the selection moved). */
export function revealRow(list: HTMLElement | undefined, index: number): void {
  if (index < 0 || !list) return;
  list.querySelector<HTMLElement>(`[data-index="${index}"]`)?.scrollIntoView?.({ block: 'nearest' });
}
