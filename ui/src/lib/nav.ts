// Top-level views after sign-in and who may see them.
import type { Role } from './contract';

export type View = 'lookup' | 'audit';

/** Team leads and admins see the audit log; agents do not. */
export function canSeeAudit(role: Role | null | undefined): boolean {
  return role === 'lead' || role === 'admin';
}

/** The view an Alt+digit shortcut opens (Alt+1 Lookup, Alt+2 Audit for leads), else null. */
export function viewForShortcut(e: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'key' | 'code'>, role: Role): View | null {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return null;
  // `code` too: on macOS, Option+1 types "¡".
  if (e.key === '1' || e.code === 'Digit1') return 'lookup';
  if ((e.key === '2' || e.code === 'Digit2') && canSeeAudit(role)) return 'audit';
  return null;
}
