import type { AccountStatus, EmailStatus, LinkState } from './contract';

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info';

export const ACCOUNT_STATUS_TONES: Record<AccountStatus, Tone> = {
  active: 'ok',
  locked: 'warn',
  suspended: 'bad',
};

export const EMAIL_STATUS_TONES: Record<EmailStatus, Tone> = {
  queued: 'info',
  sent: 'info',
  delivered: 'ok',
  bounced: 'bad',
  failed: 'bad',
};

export const LINK_STATE_TONES: Record<LinkState, Tone> = {
  pending: 'info',
  opened: 'info',
  used: 'ok',
  expired: 'warn',
  superseded: 'neutral',
};
