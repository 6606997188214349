import { describe, expect, it } from 'vitest';
import { clampIndex, navigate } from './listnav';

describe('navigate', () => {
  it('ArrowDown from no selection selects the first item', () => {
    expect(navigate('ArrowDown', -1, 3)).toEqual({ selected: 0, open: null });
  });

  it('ArrowDown moves down and stops at the last item', () => {
    expect(navigate('ArrowDown', 0, 3)).toEqual({ selected: 1, open: null });
    expect(navigate('ArrowDown', 1, 3)).toEqual({ selected: 2, open: null });
    expect(navigate('ArrowDown', 2, 3)).toEqual({ selected: 2, open: null });
  });

  it('ArrowUp moves up and stops at the first item', () => {
    expect(navigate('ArrowUp', 2, 3)).toEqual({ selected: 1, open: null });
    expect(navigate('ArrowUp', 0, 3)).toEqual({ selected: 0, open: null });
    expect(navigate('ArrowUp', -1, 3)).toEqual({ selected: 0, open: null });
  });

  it('Home and End jump to the ends', () => {
    expect(navigate('Home', 2, 3)).toEqual({ selected: 0, open: null });
    expect(navigate('End', 0, 3)).toEqual({ selected: 2, open: null });
  });

  it('Enter opens the selected item', () => {
    expect(navigate('Enter', 1, 3)).toEqual({ selected: 1, open: 1 });
  });

  it('Enter with nothing selected opens nothing', () => {
    expect(navigate('Enter', -1, 3)).toEqual({ selected: -1, open: null });
  });

  it('a selection past the end (list shrank) is clamped', () => {
    expect(navigate('Enter', 7, 3)).toEqual({ selected: 2, open: 2 });
    expect(navigate('ArrowDown', 7, 3)).toEqual({ selected: 2, open: null });
  });

  it('an empty list selects and opens nothing', () => {
    expect(navigate('ArrowDown', -1, 0)).toEqual({ selected: -1, open: null });
    expect(navigate('Enter', 0, 0)).toEqual({ selected: -1, open: null });
  });

  it('other keys are not handled', () => {
    expect(navigate('a', 0, 3)).toBeNull();
    expect(navigate('Tab', 0, 3)).toBeNull();
  });
});

describe('clampIndex', () => {
  it('clamps into range', () => {
    expect(clampIndex(-5, 3)).toBe(0);
    expect(clampIndex(9, 3)).toBe(2);
    expect(clampIndex(1, 3)).toBe(1);
    expect(clampIndex(0, 0)).toBe(-1);
  });
});
