// Top-level views after sign-in and who may see them.
import type { Role } from './contract';

export type View = 'lookup' | 'queue' | 'audit' | 'staff' | 'settings';

/** Team leads and admins see the audit log; agents do not. */
export function canSeeAudit(role: Role | null | undefined): boolean {
  return role === 'lead' || role === 'admin';
}

/** Only admins manage staff. */
export function canSeeStaff(role: Role | null | undefined): boolean {
  return role === 'admin';
}

/**
 * The view an Alt+digit shortcut opens, else null: Alt+1 Lookup and Alt+3 Queue for everyone,
 * Alt+2 Audit for leads (the digits predate the Queue tab, which sits between Lookup and Audit).
 */
export function viewForShortcut(
  e: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'key' | 'code'>,
  role: Role,
): View | null {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return null;
  // `code` too: on macOS, Option+1 types "¡".
  if (e.key === '1' || e.code === 'Digit1') return 'lookup';
  if ((e.key === '2' || e.code === 'Digit2') && canSeeAudit(role)) return 'audit';
  if (e.key === '3' || e.code === 'Digit3') return 'queue';
  if ((e.key === '4' || e.code === 'Digit4') && canSeeStaff(role)) return 'staff';
  if (e.key === '5' || e.code === 'Digit5') return 'settings';
  return null;
}
