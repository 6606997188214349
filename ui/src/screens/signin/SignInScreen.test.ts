import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { commandError, deferred, fail, mockCore } from '../../test/core';
import { el, fill } from '../../test/dom';
import SignInScreen from './SignInScreen.svelte';

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
      ends_at: null,
      notice: null,
      idle_lock_secs: 900,
    };
    const core = mockCore({ sign_in: () => status });
    render(SignInScreen, { onSignedIn });
    await fill({ email: ' a@desk.test ', password: 'secret', totp: '123456' });
    await fireEvent.click(el('#stay-signed-in'));
    await fireEvent.submit(el('#sign-in').closest('form')!);
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(status));
    expect(core.log).toContainEqual([
      'sign_in',
      {
        form: {
          server_url: 'http://127.0.0.1:8787',
          email: 'a@desk.test',
          password: 'secret',
          totp: '123456',
          stay_signed_in: true,
        },
      },
    ]);
  });

  it('shows the specific error with its code and disables the button while signing in', async () => {
    const answer = deferred<never>();
    mockCore({ sign_in: () => answer.promise });
    render(SignInScreen, { onSignedIn: vi.fn() });
    // (Not the address signed in above: that one gets the hint of the next test.)
    await fill({ email: 'b@desk.test', password: 'wrong', totp: '000000' });
    await fireEvent.click(el('#sign-in'));
    expect(el<HTMLButtonElement>('#sign-in').disabled).toBe(true);
    answer.reject(commandError('invalid_credentials', 'nope'));
    await waitFor(() => expect(el('#sign-in-error').dataset.code).toBe('invalid_credentials'));
    expect(el('#sign-in-error').textContent).toBe('Email, password or code is wrong.');
    expect(el<HTMLButtonElement>('#sign-in').disabled).toBe(false);
  });

  it('after a sign-in moments ago, a refusal adds the wait-for-the-next-code hint to the uniform message', async () => {
    const signedIn = {
      signed_in: true,
      agent: { id: 1, email: 'c@desk.test', name: 'Cy', role: 'agent' },
      server_url: 'http://127.0.0.1:8787',
      expires_at: null,
      ends_at: null,
      notice: null,
      idle_lock_secs: 900,
    };
    let calls = 0;
    mockCore({ sign_in: () => (calls++ === 0 ? signedIn : fail('invalid_credentials', 'x')) });
    const first = render(SignInScreen, { onSignedIn: vi.fn() });
    await fill({ email: 'c@desk.test', password: 'pw', totp: '123456' });
    await fireEvent.click(el('#sign-in'));
    await waitFor(() => expect(calls).toBe(1));
    first.unmount();
    // Signed out by accident; the same code again.
    render(SignInScreen, { onSignedIn: vi.fn() });
    await fill({ email: 'c@desk.test', password: 'pw', totp: '123456' });
    await fireEvent.click(el('#sign-in'));
    await waitFor(() => expect(el('#sign-in-error').dataset.code).toBe('invalid_credentials'));
    expect(el('#sign-in-error').textContent).toBe(
      "Email, password or code is wrong. If you signed in a moment ago, wait for your authenticator's next code: each code works once.",
    );
  });

  it('names the URL when the service cannot be reached', async () => {
    mockCore({ sign_in: () => fail('service_unreachable', 'x') });
    render(SignInScreen, { serverUrl: 'http://127.0.0.1:1', onSignedIn: vi.fn() });
    await fill({ email: 'a@desk.test', password: 'pw', totp: '123456' });
    await fireEvent.click(el('#sign-in'));
    await waitFor(() => expect(el('#sign-in-error').dataset.code).toBe('service_unreachable'));
    expect(el('#sign-in-error').textContent).toContain('http://127.0.0.1:1');
  });

  it('checks the code before calling the service', async () => {
    const core = mockCore();
    render(SignInScreen, { onSignedIn: vi.fn() });
    await fill({ email: 'a@desk.test', password: 'pw', totp: '12ab' });
    await fireEvent.click(el('#sign-in'));
    expect(el('#sign-in-error').dataset.code).toBe('invalid_input');
    expect(document.activeElement).toBe(el('#totp'));
    // Asking whether single sign-on is offered is no sign-in call.
    expect(core.log.filter(([cmd]) => cmd !== 'sso_availability')).toHaveLength(0);
  });
});
