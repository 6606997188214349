import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import type { AccountSummary } from '../../lib/contract';
import ResultsList from './ResultsList.svelte';

const account = (id: number, username: string, display_name: string): AccountSummary => ({
  id,
  username,
  display_name,
  status: 'active',
  country: 'US',
  primary_email: 'c***@mail.test',
});

describe('ResultsList', () => {
  it('marks the part of each row that matched, and says when only an address did', () => {
    const items = [
      account(1, 'maria.lopez', 'Maria Lopez'),
      account(2, 'qq2', 'Ana Lopez-Ruiz'),
      account(3, 'cy4', 'Cy C. Brown'),
    ];
    const { container } = render(ResultsList, {
      items,
      query: 'LOPEZ',
      selected: 0,
      onPick: () => {},
      onLoadMore: () => {},
    });
    const rows = [...container.querySelectorAll('[data-testid="result"]')];
    expect(rows).toHaveLength(3);
    const marks = (row: Element) => [...row.querySelectorAll('mark')].map((m) => m.textContent);
    expect(marks(rows[0])).toEqual(['lopez', 'Lopez']);
    expect(rows[0].querySelector('.display-name')!.textContent).toBe('Maria Lopez');
    expect(marks(rows[1])).toEqual(['Lopez']);
    expect(marks(rows[2])).toEqual([]);
    expect(rows[2].querySelector('.matched-address')!.textContent).toBe('address matches');
    expect(rows[0].querySelector('.matched-address')).toBeNull();
  });
});
