import { describe, expect, it } from 'vitest';
import { ticketProblem, ticketRegex } from './ticket.svelte';

describe('the ticket form', () => {
  it('matches the whole reference, alternatives included', () => {
    const re = ticketRegex('SUP-\\d+');
    expect(re?.test('SUP-12')).toBe(true);
    expect(re?.test('xSUP-12')).toBe(false);
    expect(re?.test('SUP-12x')).toBe(false);
    expect(ticketRegex('A|B')?.test('AB')).toBe(false);
  });

  it('says what is wrong only when there is a form and a typed reference that misses it', () => {
    expect(ticketProblem('T-1', 'SUP-\\d+')).toBe("This desk's ticket references have the form SUP-\\d+.");
    expect(ticketProblem(' SUP-7 ', 'SUP-\\d+')).toBeNull();
    expect(ticketProblem('', 'SUP-\\d+')).toBeNull();
    expect(ticketProblem('anything', null)).toBeNull();
    // An expression JavaScript cannot read: the service still checks; the console stays quiet.
    expect(ticketProblem('x', '(?<')).toBeNull();
  });
});
