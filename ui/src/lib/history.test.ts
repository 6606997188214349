import { describe, expect, it } from 'vitest';
import { PlaceHistory } from './history';

const account = (id: number) => ({ target: 'account' as const, id });
const request = (id: number) => ({ target: 'request' as const, id });

describe('PlaceHistory', () => {
  it('goes back and forward over what was opened, and a new visit drops what was ahead', () => {
    const h = new PlaceHistory();
    expect(h.back()).toBeNull();
    h.visit(account(1));
    h.visit(account(1)); // the same place again is not a new step
    h.visit(account(7));
    h.visit(request(24));
    expect(h.back()).toEqual(account(7));
    expect(h.back()).toEqual(account(1));
    expect(h.back()).toBeNull();
    expect(h.forward()).toEqual(account(7));
    h.visit(account(9));
    expect(h.forward()).toBeNull();
    expect(h.back()).toEqual(account(7));
    expect(h.back()).toEqual(account(1));
  });

  it('keeps the last `max` places', () => {
    const h = new PlaceHistory(3);
    for (const id of [1, 2, 3, 4]) h.visit(account(id));
    expect(h.back()).toEqual(account(3));
    expect(h.back()).toEqual(account(2));
    expect(h.back()).toBeNull();
  });
});
