// A keyset-paged list of a service's items (search results, the queue, the audit log, an account's
// activity): the first page for a filter, "load more" by cursor, a reload that fetches the pages
// shown again, answers to superseded requests dropped, and the selection kept on the same item.
// Every field the screens read is reactive; `items` is replaced whole, never mutated.
import type { Page } from './contract';
import { describeError, type ErrorContext, type ErrorView } from './errors';
import { navigate, type NavOutcome } from './listnav';

export type PagedListOptions<T, F> = {
  fetch: (filter: F, cursor: string | null) => Promise<Page<T>>;
  /** Context for the error text (e.g. the service URL). */
  ctx?: () => ErrorContext;
  /** Select the first item when a new first page arrives (else nothing is selected). */
  selectFirst?: boolean;
  /** Empty the list as soon as a new filter is loaded (else the old items stay until the answer). */
  clearOnLoad?: boolean;
};

/** Appends `more` to `items`, leaving out ids already there (pages may overlap while rows move). */
function appendNew<T extends { id: number }>(items: T[], more: T[]): T[] {
  const seen = new Set(items.map((i) => i.id));
  return items.concat(more.filter((i) => !seen.has(i.id)));
}

export class PagedList<T extends { id: number }, F> {
  items = $state.raw<T[]>([]);
  nextCursor = $state<string | null>(null);
  /** A first page is on its way. */
  loading = $state(false);
  /** A next page is on its way. */
  loadingMore = $state(false);
  /** A first page arrived since the last clear. */
  loaded = $state(false);
  error = $state<ErrorView | null>(null);
  selected = $state(-1);
  /** The filter the items shown were loaded for (null before the first answer). */
  loadedFor = $state.raw<F | null>(null);

  #opts: PagedListOptions<T, F>;
  #seq = 0;
  /** Pages shown (a reload fetches as many again). */
  #pages = 1;
  /** The filter of the newest request (null: none since the last clear). */
  #filter: { value: F } | null = null;
  /** The request that failed last, so `retry` can repeat it. */
  #failed: string | null = null;

  constructor(opts: PagedListOptions<T, F>) {
    this.#opts = opts;
  }

  get hasMore(): boolean {
    return this.nextCursor !== null;
  }

  get selectedItem(): T | undefined {
    return this.selected >= 0 ? this.items[this.selected] : undefined;
  }

  /**
   * Fetches the page after `cursor` (null: the first) with `busy` set while it is on its way, and
   * hands it to `apply` unless a newer request superseded it; resolves true when it was applied.
   */
  async #request(
    filter: F,
    cursor: string | null,
    busy: 'loading' | 'loadingMore',
    apply: (page: Page<T>) => void,
  ): Promise<boolean> {
    const seq = ++this.#seq;
    this.error = null;
    this[busy] = true;
    try {
      const page = await this.#opts.fetch(filter, cursor);
      if (seq !== this.#seq) return false;
      apply(page);
      return true;
    } catch (e) {
      if (seq === this.#seq) {
        this.error = describeError(e, this.#opts.ctx?.());
        this.#failed = cursor;
      }
      return false;
    } finally {
      if (seq === this.#seq) this[busy] = false;
    }
  }

  /** Loads the first page for `filter`; resolves true when its answer is the one shown. */
  load(filter: F): Promise<boolean> {
    this.#filter = { value: filter };
    this.loadingMore = false;
    if (this.#opts.clearOnLoad) {
      this.items = [];
      this.nextCursor = null;
      this.loaded = false;
      this.selected = -1;
    }
    return this.#request(filter, null, 'loading', (page) => {
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.#pages = 1;
      this.selected = this.#opts.selectFirst && page.items.length > 0 ? 0 : -1;
      this.loadedFor = filter;
      this.loaded = true;
    });
  }

  /** Appends the next page; resolves true when it was added. */
  loadMore(): Promise<boolean> {
    const cursor = this.nextCursor;
    if (cursor === null || this.loadedFor === null || this.loading || this.loadingMore) {
      return Promise.resolve(false);
    }
    return this.#request(this.loadedFor, cursor, 'loadingMore', (page) => {
      this.items = appendNew(this.items, page.items);
      this.nextCursor = page.next_cursor;
      this.#pages++;
    });
  }

  /**
   * Fetches the pages shown again (polling), keeping the selection on the same item. It never
   * supersedes a load on its way (that answer is as fresh); before any first page arrived it
   * loads the first page.
   */
  async reload(): Promise<void> {
    if (this.loading || this.loadingMore || this.#filter === null) return;
    if (this.loadedFor === null) {
      await this.load(this.#filter.value);
      return;
    }
    const seq = ++this.#seq;
    const filter = this.loadedFor;
    const keepId = this.selectedItem?.id;
    try {
      let fresh: T[] = [];
      let cursor: string | null = null;
      let fetched = 0;
      do {
        const page = await this.#opts.fetch(filter, cursor);
        if (seq !== this.#seq) return;
        fresh = appendNew(fresh, page.items);
        cursor = page.next_cursor;
        fetched++;
      } while (cursor !== null && fetched < this.#pages);
      this.items = fresh;
      this.nextCursor = cursor;
      this.#pages = Math.max(1, fetched);
      this.error = null;
      this.loaded = true;
      if (!this.selectId(keepId)) this.selected = Math.min(this.selected, fresh.length - 1);
    } catch (e) {
      if (seq === this.#seq) {
        this.error = describeError(e, this.#opts.ctx?.());
        this.#failed = null;
      }
    }
  }

  /** Repeats what failed last: the first page, or the page after the cursor that failed. */
  retry(): Promise<unknown> {
    const cursor = this.#failed;
    if (cursor !== null && this.loadedFor !== null) {
      this.nextCursor = cursor;
      return this.loadMore();
    }
    return this.#filter === null ? Promise.resolve(false) : this.load(this.#filter.value);
  }

  /** Forgets the items; answers still on their way are dropped. */
  clear(): void {
    this.#seq++;
    this.#filter = null;
    this.items = [];
    this.nextCursor = null;
    this.loading = false;
    this.loadingMore = false;
    this.loaded = false;
    this.error = null;
    this.selected = -1;
    this.loadedFor = null;
  }

  /** Selects the item with `id`; false (selection unchanged) when it is not shown. */
  selectId(id: number | undefined): boolean {
    const i = id === undefined ? -1 : this.items.findIndex((x) => x.id === id);
    if (i >= 0) this.selected = i;
    return i >= 0;
  }

  /** Arrow keys, Home, End and Enter over the list: moves the selection, null for other keys. */
  keyNav(key: string): NavOutcome | null {
    const outcome = navigate(key, this.selected, this.items.length);
    if (outcome) this.selected = outcome.selected;
    return outcome;
  }
}
