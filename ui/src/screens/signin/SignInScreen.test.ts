import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

import { invoke } from '@tauri-apps/api/core';
import SignInScreen from './SignInScreen.svelte';

const invokeMock = vi.mocked(invoke);

function el<T extends HTMLElement = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`missing ${selector}`);
  return found;
}

async function fill(values: Record<string, string>) {
  for (const [id, value] of Object.entries(values)) {
    await fireEvent.input(el(`#${id}`), { target: { value } });
  }
}

afterEach(() => invokeMock.mockReset());

describe('SignInScreen', () => {
  it('prefills the server URL, shows the notice and labels every input', () => {
    render(SignInScreen, {
      serverUrl: 'http://127.0.0.1:9999',
      notice: 'Your saved session expired; sign in again.',
      onSignedIn: vi.fn(),
    });
    expect(el<HTMLInputElement>('#server-url').value).toBe('http://127.0.0.1:9999');
    expect(el('#sign-in-notice').textContent).toBe('Your saved session expired; sign in again.');
    for (const label of ['Server URL', 'Email', 'Password', 'Authenticator code', 'Stay signed in']) {
      expect(screen.getByLabelText(label)).toBeTruthy();
    }
    const totp = el('#totp');
    expect(totp.getAttribute('inputmode')).toBe('numeric');
    expect(totp.getAttribute('autocomplete')).toBe('one-time-code');
  });

  it('sends the form and reports success', async () => {
    const onSignedIn = vi.fn();
    const status = {
      signed_in: true,
      agent: { id: 1, email: 'a@desk.test', name: 'Ana', role: 'agent' },
      server_url: 'http://127.0.0.1:8787',
      expires_at: null,
      notice: null,
      idle_lock_secs: 900,
    };
    invokeMock.mockResolvedValueOnce(status);
    render(SignInScreen, { onSignedIn });
    await fill({ email: ' a@desk.test ', password: 'secret', totp: '123456' });
    await fireEvent.click(el('#stay-signed-in'));
    await fireEvent.submit(el('#sign-in').closest('form')!);
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(status));
    expect(invokeMock).toHaveBeenCalledWith('sign_in', {
      form: {
        server_url: 'http://127.0.0.1:8787',
        email: 'a@desk.test',
        password: 'secret',
        totp: '123456',
        stay_signed_in: true,
      },
    });
  });

  it('shows the specific error with its code and disables the button while signing in', async () => {
    let reject: (e: unknown) => void = () => {};
    invokeMock.mockReturnValueOnce(new Promise((_, r) => (reject = r)));
    render(SignInScreen, { onSignedIn: vi.fn() });
    await fill({ email: 'a@desk.test', password: 'wrong', totp: '000000' });
    await fireEvent.click(el('#sign-in'));
    expect(el<HTMLButtonElement>('#sign-in').disabled).toBe(true);
    reject({ code: 'invalid_credentials', message: 'nope', field: null, retry_after: null });
    await waitFor(() => expect(el('#sign-in-error').dataset.code).toBe('invalid_credentials'));
    expect(el('#sign-in-error').textContent).toBe('Email, password or code is wrong.');
    expect(el<HTMLButtonElement>('#sign-in').disabled).toBe(false);
  });

  it('names the URL when the service cannot be reached', async () => {
    invokeMock.mockRejectedValueOnce({
      code: 'service_unreachable',
      message: 'x',
      field: null,
      retry_after: null,
    });
    render(SignInScreen, { serverUrl: 'http://127.0.0.1:1', onSignedIn: vi.fn() });
    await fill({ email: 'a@desk.test', password: 'pw', totp: '123456' });
    await fireEvent.click(el('#sign-in'));
    await waitFor(() => expect(el('#sign-in-error').dataset.code).toBe('service_unreachable'));
    expect(el('#sign-in-error').textContent).toContain('http://127.0.0.1:1');
  });

  it('checks the code before calling the service', async () => {
    render(SignInScreen, { onSignedIn: vi.fn() });
    await fill({ email: 'a@desk.test', password: 'pw', totp: '12ab' });
    await fireEvent.click(el('#sign-in'));
    expect(el('#sign-in-error').dataset.code).toBe('invalid_input');
    expect(document.activeElement).toBe(el('#totp'));
    expect(invokeMock).not.toHaveBeenCalled();
  });
});
