import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, waitFor } from '@testing-library/svelte';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

import { invoke } from '@tauri-apps/api/core';
import AddressCheck from './AddressCheck.svelte';

const invokeMock = vi.mocked(invoke);

function el<T extends HTMLElement = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`missing ${selector}`);
  return found;
}

afterEach(() => invokeMock.mockReset());

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
    render(AddressCheck, { accountId: 9 });
    invokeMock.mockResolvedValueOnce(result);
    await fireEvent.input(el('#address-check-input'), { target: { value: ` ${TYPED} ` } });
    await fireEvent.click(el('#address-check-submit'));
    await waitFor(() => expect(document.querySelector('#address-check-result')).not.toBeNull());

    expect(invokeMock).toHaveBeenCalledWith('check_address', { id: 9, address: TYPED });
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
    render(AddressCheck, { accountId: 3 });
    invokeMock.mockResolvedValueOnce({ matches: true, primary: true, verified: false, bounced: false });
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
    render(AddressCheck, { accountId: 3 });
    await fireEvent.click(el('#address-check-submit'));
    expect(invokeMock).not.toHaveBeenCalled();
    expect(el('#address-check-error').dataset.code).toBe('invalid_input');

    invokeMock.mockRejectedValueOnce({ code: 'internal', message: '', field: null, retry_after: null });
    await fireEvent.input(el('#address-check-input'), { target: { value: 'a@b.c' } });
    await fireEvent.click(el('#address-check-submit'));
    await waitFor(() => expect(el('#address-check-error').dataset.code).toBe('internal'));
    expect(document.querySelector('#address-check-result')).toBeNull();
  });
});
