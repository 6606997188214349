import { describe, expect, it } from 'vitest';
import { rememberTicket, sortLinks, takeTicket } from './links.svelte';

describe('links from tickets', () => {
  it('fills the ticket into the next action on that account only, once', () => {
    rememberTicket({ target: 'account', id: 42, ticket: 'T-123' });
    expect(takeTicket('account', 7)).toBe('');
    expect(takeTicket('request', 42)).toBe('');
    expect(takeTicket('account', 42)).toBe('T-123');
    expect(takeTicket('account', 42)).toBe('');
  });

  it('opens the last good link and reports every refused one', () => {
    const r = sortLinks([
      { link: { target: 'account', id: 1, ticket: null }, error: null },
      { link: null, error: 'This link cannot be opened: its id is not a number.' },
      { link: { target: 'request', id: 9, ticket: 'T-9' }, error: null },
    ]);
    expect(r.open).toEqual({ target: 'request', id: 9, ticket: 'T-9' });
    expect(r.errors).toEqual(['This link cannot be opened: its id is not a number.']);
  });
});
