import type { SignInForm } from '../../lib/contract';
import type { ErrorView } from '../../lib/errors';

function invalid(field: string, text: string): ErrorView {
  return { code: 'invalid_input', text, field, retryAfter: null, sessionLost: false };
}

/** Checks made before calling sign_in; null when the form may be sent. */
export function validateSignIn(form: SignInForm): ErrorView | null {
  if (!/^https?:\/\/\S+$/i.test(form.server_url)) {
    return invalid('server_url', 'Enter the server URL, starting with http:// or https://.');
  }
  if (!form.email) return invalid('email', 'Enter your email.');
  if (!form.password) return invalid('password', 'Enter your password.');
  // A 6-digit code, or one of the backup codes shown at enrolment (xxxx-xxxx).
  if (!/^\d{6}$/.test(form.totp) && !/^[a-z0-9]{4}-?[a-z0-9]{4}$/i.test(form.totp))
    return invalid('totp', 'Enter the 6-digit code from your authenticator app (or a backup code).');
  return null;
}
