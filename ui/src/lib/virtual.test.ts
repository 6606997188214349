import { describe, expect, it } from 'vitest';
import { scrollToReveal, shouldLoadMore, visibleWindow } from './virtual';

const base = { rowHeight: 32, viewportHeight: 320, overscan: 5 };

describe('visibleWindow', () => {
  it('at the top shows the first rows, with overscan only below', () => {
    const w = visibleWindow({ ...base, scrollTop: 0, count: 1000 });
    expect(w.firstVisible).toBe(0);
    expect(w.lastVisible).toBe(9); // 320 / 32 = 10 rows: 0..9
    expect(w.start).toBe(0); // overscan clamped at the top
    expect(w.end).toBe(15);
    expect(w.totalHeight).toBe(32_000);
  });

  it('counts a partly visible row at either edge', () => {
    const w = visibleWindow({ ...base, scrollTop: 50, count: 1000 });
    expect(w.firstVisible).toBe(1); // rows 1 (32..64) is partly visible
    expect(w.lastVisible).toBe(11); // 50 + 320 = 370 falls inside row 11 (352..384)
    expect(w.start).toBe(0); // 1 - 5 clamped
    expect(w.end).toBe(17);
  });

  it('in the middle renders visible rows plus overscan on both sides', () => {
    const w = visibleWindow({ ...base, scrollTop: 32 * 500, count: 1_000_000 });
    expect(w.firstVisible).toBe(500);
    expect(w.lastVisible).toBe(509);
    expect(w.start).toBe(495);
    expect(w.end).toBe(515);
    expect(w.end - w.start).toBe(20); // never the million
  });

  it('clamps overscan and the visible range at the end', () => {
    const w = visibleWindow({ ...base, scrollTop: 32 * 95, count: 100 });
    expect(w.firstVisible).toBe(95);
    expect(w.lastVisible).toBe(99);
    expect(w.start).toBe(90);
    expect(w.end).toBe(100);
  });

  it('a scrollTop past the rows (e.g. the loading row) keeps the last row in range', () => {
    const w = visibleWindow({ ...base, scrollTop: 99_999, count: 20 });
    expect(w.firstVisible).toBe(19);
    expect(w.lastVisible).toBe(19);
    expect(w.end).toBe(20);
  });

  it('fewer rows than fit show all of them', () => {
    const w = visibleWindow({ ...base, scrollTop: 0, count: 3 });
    expect([w.start, w.end, w.firstVisible, w.lastVisible]).toEqual([0, 3, 0, 2]);
  });

  it('renders nothing without rows and tolerates bad input', () => {
    expect(visibleWindow({ ...base, scrollTop: 0, count: 0 })).toMatchObject({
      start: 0,
      end: 0,
      lastVisible: -1,
    });
    const w = visibleWindow({ ...base, scrollTop: -40, viewportHeight: Number.NaN, count: 10 });
    expect([w.start, w.end, w.firstVisible, w.lastVisible]).toEqual([0, 6, 0, 0]);
  });
});

describe('shouldLoadMore', () => {
  const more = { count: 100, hasMore: true, loading: false, threshold: 20 };

  it('waits while plenty of loaded rows are left below', () => {
    expect(shouldLoadMore({ ...more, lastVisible: 78 })).toBe(false); // 21 left
  });

  it('fetches when the scroll nears the end of the loaded rows', () => {
    expect(shouldLoadMore({ ...more, lastVisible: 79 })).toBe(true); // 20 left
    expect(shouldLoadMore({ ...more, lastVisible: 99 })).toBe(true);
  });

  it('never fetches twice at once or past the last page', () => {
    expect(shouldLoadMore({ ...more, lastVisible: 99, loading: true })).toBe(false);
    expect(shouldLoadMore({ ...more, lastVisible: 99, hasMore: false })).toBe(false);
  });

  it('fetches when nothing is loaded yet but more exists', () => {
    expect(shouldLoadMore({ ...more, count: 0, lastVisible: -1 })).toBe(true);
  });
});

describe('scrollToReveal', () => {
  it('scrolls up to a row above the view and down to one below it', () => {
    expect(scrollToReveal(2, 320, 320, 32)).toBe(64);
    expect(scrollToReveal(20, 320, 320, 32)).toBe(21 * 32 - 320);
  });

  it('leaves a fully visible row alone', () => {
    expect(scrollToReveal(12, 320, 320, 32)).toBeNull();
    expect(scrollToReveal(-1, 0, 320, 32)).toBeNull();
  });
});
