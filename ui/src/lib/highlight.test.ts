import { describe, expect, it } from 'vitest';
import { matchedByAddress, matchSpan } from './highlight';

describe('matchSpan', () => {
  it('splits around the first match, whatever the case', () => {
    expect(matchSpan('Maria Lopez', 'lopez')).toEqual(['Maria ', 'Lopez', '']);
    expect(matchSpan('maria.lopez', ' MAR ')).toEqual(['', 'mar', 'ia.lopez']);
    expect(matchSpan('Omar K. Martin', 'mar')).toEqual(['O', 'mar', ' K. Martin']);
  });

  it('answers null when nothing matches or there is nothing to match', () => {
    expect(matchSpan('Maria Lopez', 'smith')).toBeNull();
    expect(matchSpan('Maria Lopez', '  ')).toBeNull();
  });

  it('does not guess when lower-casing changes the length', () => {
    expect(matchSpan('İstanbul', 'stan')).toBeNull();
  });
});

describe('matchedByAddress', () => {
  it('is true only for plain text found in neither the username nor the name', () => {
    expect(matchedByAddress('cy4', 'Cy C. Brown', 'lopez.work')).toBe(true);
    expect(matchedByAddress('maria.lopez', 'Maria Lopez', 'lopez')).toBe(false);
    expect(matchedByAddress('cy4', 'Cy C. Brown', 'cy@mail.test')).toBe(false);
    expect(matchedByAddress('cy4', 'Cy C. Brown', '42')).toBe(false);
    expect(matchedByAddress('cy4', 'Cy C. Brown', '+1 415 555 0100')).toBe(false);
    expect(matchedByAddress('cy4', 'Cy C. Brown', 'lo')).toBe(false);
  });
});
