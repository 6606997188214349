// Links from help-desk tickets (`recovery-desk://account/42?ticket=T-123`): the place to open and
// the ticket reference that the next action's form starts with. The shell has already checked the
// link; nothing here acts on it beyond opening a view and filling a field.
import type { LinkEvent, OpenLink } from './contract';

/** The ticket reference a link brought, for the next action on that account or request. */
export const linkTicket = $state<{
  target: OpenLink['target'] | null;
  id: number | null;
  ticket: string | null;
}>({
  target: null,
  id: null,
  ticket: null,
});

/** Remembers the link's ticket for the next action on its account or request. */
export function rememberTicket(link: OpenLink): void {
  linkTicket.target = link.target;
  linkTicket.id = link.id;
  linkTicket.ticket = link.ticket;
}

/** The ticket a link brought for this account or request, once: the next form takes it. */
export function takeTicket(target: OpenLink['target'], id: number | null): string {
  if (linkTicket.ticket === null || linkTicket.target !== target || linkTicket.id !== id) return '';
  const t = linkTicket.ticket;
  linkTicket.ticket = null;
  return t;
}

/** The last link of a batch decides where to go; refusals are reported, each once. */
export function sortLinks(events: LinkEvent[]): { open: OpenLink | null; errors: string[] } {
  const errors = events.flatMap((e) => (e.error ? [e.error] : []));
  const opens = events.flatMap((e) => (e.link ? [e.link] : []));
  return { open: opens.at(-1) ?? null, errors };
}
