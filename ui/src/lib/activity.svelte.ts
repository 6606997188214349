// The open account's activity timeline: the first page (refreshed by polling) plus the older pages
// the agent loaded. Newest first; `items`, `nextCursor`, `loadingOlder` and `error` are reactive.
import type { ActivityEvent, Page } from './contract';
import * as api from './api';
import { describeError, type ErrorContext, type ErrorView } from './errors';

function newestFirst(a: ActivityEvent, b: ActivityEvent): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return b.id - a.id;
}

export class ActivityFeed {
  items = $state<ActivityEvent[]>([]);
  nextCursor = $state<string | null>(null);
  loaded = $state(false);
  loadingOlder = $state(false);
  error = $state<ErrorView | null>(null);

  #accountId: number | null = null;
  #olderLoaded = false;
  #seq = 0;
  #ctx: () => ErrorContext;

  constructor(ctx: () => ErrorContext = () => ({})) {
    this.#ctx = ctx;
  }

  /** Forgets everything (another account was opened, or none). */
  reset(accountId: number | null): void {
    this.#seq++;
    this.#accountId = accountId;
    this.#olderLoaded = false;
    this.items = [];
    this.nextCursor = null;
    this.loaded = false;
    this.loadingOlder = false;
    this.error = null;
  }

  /** Fetches the first page again and merges it with the older pages already shown. */
  async refresh(): Promise<void> {
    const id = this.#accountId;
    if (id === null) return;
    const seq = this.#seq;
    let page: Page<ActivityEvent>;
    try {
      page = await api.accountActivity(id, null);
    } catch (e) {
      if (seq === this.#seq) this.error = describeError(e, this.#ctx());
      return;
    }
    if (seq !== this.#seq) return;
    this.error = null;
    this.loaded = true;
    if (this.#olderLoaded) {
      const fresh = new Set(page.items.map((e) => e.id));
      this.items = [...page.items, ...this.items.filter((e) => !fresh.has(e.id))].sort(newestFirst);
    } else {
      this.items = page.items;
      this.nextCursor = page.next_cursor;
    }
  }

  async loadOlder(): Promise<void> {
    const id = this.#accountId;
    const cursor = this.nextCursor;
    if (id === null || cursor === null || this.loadingOlder) return;
    const seq = this.#seq;
    this.loadingOlder = true;
    try {
      const page = await api.accountActivity(id, cursor);
      if (seq !== this.#seq) return;
      const seen = new Set(this.items.map((e) => e.id));
      this.items = [...this.items, ...page.items.filter((e) => !seen.has(e.id))];
      this.nextCursor = page.next_cursor;
      this.#olderLoaded = true;
      this.error = null;
    } catch (e) {
      if (seq === this.#seq) this.error = describeError(e, this.#ctx());
    } finally {
      if (seq === this.#seq) this.loadingOlder = false;
    }
  }
}
