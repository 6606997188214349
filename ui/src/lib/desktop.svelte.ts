// What the desktop shell adds to the UI: the About box, links from tickets waiting to be opened,
// and whether OS notifications may be shown.
import type { OpenLink } from './contract';

export const desktop = $state<{ aboutOpen: boolean; pendingOpen: OpenLink | null; notifications: boolean }>({
  aboutOpen: false,
  pendingOpen: null,
  notifications: false,
});

/** F1 opens the About box, on any screen. */
export function isAboutKey(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
): boolean {
  return e.key === 'F1' && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey;
}
