import { describe, expect, it } from 'vitest';
import type { Page } from './contract';
import { commandError, deferred } from '../test/core';
import { PagedList } from './paged.svelte';

type Row = { id: number };
const rows = (...ids: number[]): Row[] => ids.map((id) => ({ id }));

/** A fetch whose answers the test gives, one pending call at a time. */
function pendingFetch() {
  const calls: { filter: string; cursor: string | null; answer: ReturnType<typeof deferred<Page<Row>>> }[] =
    [];
  const fetch = (filter: string, cursor: string | null) => {
    const answer = deferred<Page<Row>>();
    calls.push({ filter, cursor, answer });
    return answer.promise;
  };
  return { calls, fetch };
}

/** A fetch over fixed pages: page n of `filter` is `pages[filter][n]`, cursors "1", "2", … */
function pagesFetch(pages: Record<string, Row[][]>) {
  const seen: [string, string | null][] = [];
  const fetch = async (filter: string, cursor: string | null): Promise<Page<Row>> => {
    seen.push([filter, cursor]);
    const n = cursor === null ? 0 : Number(cursor);
    const all = pages[filter];
    return { items: all[n], next_cursor: n + 1 < all.length ? String(n + 1) : null };
  };
  return { seen, fetch };
}

describe('PagedList', () => {
  it('shows the answer of the newest load, whatever order the answers arrive in', async () => {
    const { calls, fetch } = pendingFetch();
    const list = new PagedList<Row, string>({ fetch });
    const first = list.load('old');
    const second = list.load('new');
    calls[1].answer.resolve({ items: rows(2), next_cursor: null });
    await second;
    calls[0].answer.resolve({ items: rows(1), next_cursor: 'c' });
    expect(await first).toBe(false);
    expect(list.items).toEqual(rows(2));
    expect(list.loadedFor).toBe('new');
    expect(list.hasMore).toBe(false);
    expect(list.loading).toBe(false);
  });

  it('loads more with the cursor, leaving out rows already shown', async () => {
    const { seen, fetch } = pagesFetch({ q: [rows(1, 2), rows(2, 3)] });
    const list = new PagedList<Row, string>({ fetch });
    await list.load('q');
    expect(await list.loadMore()).toBe(true);
    expect(list.items).toEqual(rows(1, 2, 3));
    expect(seen).toEqual([
      ['q', null],
      ['q', '1'],
    ]);
    expect(await list.loadMore()).toBe(false);
  });

  it('a reload fetches the pages shown again and keeps the selection on the same row', async () => {
    const pages = { q: [rows(1, 2), rows(3, 4), rows(5)] };
    const { seen, fetch } = pagesFetch(pages);
    const list = new PagedList<Row, string>({ fetch, selectFirst: true });
    await list.load('q');
    expect(list.selected).toBe(0);
    await list.loadMore();
    list.selected = 2; // row 3
    pages.q = [rows(9, 1), rows(2, 3), rows(4, 5)];
    seen.length = 0;
    await list.reload();
    expect(seen).toEqual([
      ['q', null],
      ['q', '1'],
    ]);
    expect(list.items).toEqual(rows(9, 1, 2, 3));
    expect(list.selectedItem).toEqual({ id: 3 });
    expect(list.hasMore).toBe(true);
  });

  it('a reload never replaces a load still on its way', async () => {
    const { calls, fetch } = pendingFetch();
    const list = new PagedList<Row, string>({ fetch });
    const loading = list.load('q');
    await list.reload();
    expect(calls).toHaveLength(1);
    calls[0].answer.resolve({ items: rows(1), next_cursor: null });
    expect(await loading).toBe(true);
    expect(list.items).toEqual(rows(1));
  });

  it('a failed page shows its error, keeps the rows, and retry asks for that page again', async () => {
    const { calls, fetch } = pendingFetch();
    const list = new PagedList<Row, string>({ fetch });
    const load = list.load('q');
    calls[0].answer.resolve({ items: rows(1), next_cursor: 'c2' });
    await load;
    const more = list.loadMore();
    calls[1].answer.reject(commandError('service_unreachable'));
    expect(await more).toBe(false);
    expect(list.error?.code).toBe('service_unreachable');
    expect(list.items).toEqual(rows(1));
    const retry = list.retry();
    expect(calls[2].cursor).toBe('c2');
    calls[2].answer.resolve({ items: rows(2), next_cursor: null });
    await retry;
    expect(list.error).toBeNull();
    expect(list.items).toEqual(rows(1, 2));
  });

  it('clearOnLoad empties the list at once; clear drops answers on their way', async () => {
    const { calls, fetch } = pendingFetch();
    const list = new PagedList<Row, string>({ fetch, clearOnLoad: true });
    const first = list.load('a');
    calls[0].answer.resolve({ items: rows(1), next_cursor: null });
    await first;
    void list.load('b');
    expect(list.items).toEqual([]);
    expect(list.loaded).toBe(false);
    list.clear();
    calls[1].answer.resolve({ items: rows(2), next_cursor: null });
    await calls[1].answer.promise;
    expect(list.items).toEqual([]);
    expect(list.loadedFor).toBeNull();
  });
});
