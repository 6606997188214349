import { describe, expect, it } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';
import { fail, mockCore } from '../../test/core';
import { el } from '../../test/dom';
import AddressCheck from './AddressCheck.svelte';

const TYPED = 'maria.lopez@example.com';

describe('AddressCheck', () => {
  it.each([
    [
      { matches: true, primary: true, verified: true, bounced: false },
      'true',
      'Matches the primary address (verified)',
    ],
    [
      { matches: true, primary: false, verified: false, bounced: true },
      'true',
      'Matches a secondary address (unverified, bounced)',
    ],
    [
      { matches: false, primary: false, verified: false, bounced: false },
      'false',
      'No address on file matches',
    ],
  ])('renders %o without ever echoing the address', async (result, matches, text) => {
    const core = mockCore({ check_address: () => result });
    render(AddressCheck, { accountId: 9 });
    await fireEvent.input(el('#address-check-input'), { target: { value: ` ${TYPED} ` } });
    await fireEvent.click(el('#address-check-submit'));
    await waitFor(() => expect(document.querySelector('#address-check-result')).not.toBeNull());

    expect(core.log).toContainEqual(['check_address', { id: 9, address: TYPED }]);
    const out = el('#address-check-result');
    expect(out.dataset.matches).toBe(matches);
    expect(out.textContent?.trim()).toBe(text);
    // The typed address is only in the input, never shown back as what is on file.
    const section = el('#address-check');
    const shown = section.textContent ?? '';
    expect(shown).not.toContain(TYPED);
    expect(shown).not.toContain('maria.lopez');
  });

  it('Enter in the input submits; editing clears the old result', async () => {
    mockCore({ check_address: () => ({ matches: true, primary: true, verified: false, bounced: false }) });
    render(AddressCheck, { accountId: 3 });
    const input = el<HTMLInputElement>('#address-check-input');
    await fireEvent.input(input, { target: { value: 'x@y.z' } });
    await fireEvent.submit(input.form!);
    await waitFor(() =>
      expect(el('#address-check-result').textContent?.trim()).toBe(
        'Matches the primary address (unverified)',
      ),
    );
    await fireEvent.input(input, { target: { value: 'x@y.zz' } });
    expect(document.querySelector('#address-check-result')).toBeNull();
  });

  it('an empty address is refused before calling, and failures show the error', async () => {
    const core = mockCore({ check_address: () => fail('internal', '') });
    render(AddressCheck, { accountId: 3 });
    await fireEvent.click(el('#address-check-submit'));
    expect(core.log).toHaveLength(0);
    expect(el('#address-check-error').dataset.code).toBe('invalid_input');

    await fireEvent.input(el('#address-check-input'), { target: { value: 'a@b.c' } });
    await fireEvent.click(el('#address-check-submit'));
    await waitFor(() => expect(el('#address-check-error').dataset.code).toBe('internal'));
    expect(document.querySelector('#address-check-result')).toBeNull();
  });
});
