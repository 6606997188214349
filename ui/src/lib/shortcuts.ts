// Every keyboard shortcut, as listed in the help dialog (`?`).

export type Shortcut = { keys: string[]; action: string };
export type ShortcutGroup = { title: string; items: Shortcut[] };

export const SHORTCUT_GROUPS: readonly ShortcutGroup[] = [
  {
    title: 'Anywhere',
    items: [
      { keys: ['?'], action: 'Show these shortcuts' },
      { keys: ['F1'], action: 'About Recovery Desk (versions, Copy diagnostics)' },
      { keys: ['Alt+1'], action: 'Open Lookup' },
      { keys: ['Alt+2'], action: 'Open Audit (leads and admins)' },
      { keys: ['Alt+3'], action: 'Open the Queue' },
      { keys: ['Alt+4'], action: 'Open Staff (admins)' },
      { keys: ['Alt+5'], action: 'Open Settings (theme, notifications, versions)' },
      { keys: ['Esc'], action: 'Close the open dialog' },
      { keys: ['Alt+←', 'Alt+→'], action: 'Back and forward over the accounts and requests opened' },
    ],
  },
  {
    title: 'Lookup',
    items: [
      { keys: ['/', 'Ctrl+K', 'Cmd+K'], action: 'Focus the account search' },
      { keys: ['↑', '↓'], action: 'Move through the search results' },
      { keys: ['Enter'], action: 'Open the selected account (or search)' },
    ],
  },
  {
    title: 'Open account',
    items: [
      { keys: ['P'], action: 'Send password reset' },
      { keys: ['A'], action: 'Send security-answer reset' },
      { keys: ['C'], action: 'Check an address the user gives' },
      { keys: ['R'], action: 'Reveal the first address' },
      { keys: ['V'], action: 'Verify the caller' },
      { keys: ['U'], action: 'Unlock a locked account' },
      { keys: ['E'], action: "End all of the user's sessions" },
      { keys: ['I'], action: 'Copy the account id (for the ticket)' },
      { keys: ['M'], action: 'Copy the masked main address (for the ticket)' },
    ],
  },
  {
    title: 'Staff (admins)',
    items: [
      { keys: ['↑', '↓'], action: 'Move through the staff list' },
      { keys: ['I'], action: 'Invite a staff member' },
      { keys: ['O'], action: "Change the selected member's role" },
      { keys: ['D'], action: 'Disable or re-enable the selected member' },
      { keys: ['M'], action: 'Ask for an authenticator reset' },
      { keys: ['Y'], action: "Approve the selected member's waiting reset" },
    ],
  },
  {
    title: 'Queue',
    items: [
      { keys: ['N'], action: 'Claim the next request and open it' },
      { keys: ['↑', '↓'], action: 'Move through the queue' },
      { keys: ['Enter'], action: 'Open the selected request' },
      { keys: ['Esc'], action: 'Back from a request to the queue' },
      { keys: ['I'], action: "Copy the open request's reference (for the ticket)" },
    ],
  },
];
