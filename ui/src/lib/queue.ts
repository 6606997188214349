// The security-details queue: labels, tones, SLA wording, filters and who may act on a request.
// Pure functions, so the rules are easy to test; the service still checks every one of them.
import type {
  ChangeKind,
  ChecklistItem,
  Decision,
  QueueFilter,
  RequestDetail,
  RequestState,
  RiskLevel,
  Role,
} from './contract';
import type { Tone } from './tones';

export const STATE_ORDER: readonly RequestState[] = [
  'unconfirmed',
  'open',
  'claimed',
  'needs_info',
  'escalated',
  'awaiting_second_approval',
  'approved',
  'applied',
  'rejected',
  'cancelled',
];

export const STATE_LABELS: Record<RequestState, string> = {
  unconfirmed: 'Unconfirmed',
  open: 'Open',
  claimed: 'Claimed',
  needs_info: 'Needs info',
  escalated: 'Escalated',
  awaiting_second_approval: 'Awaiting 2nd approval',
  approved: 'Approved',
  applied: 'Applied',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
};

export const STATE_TONES: Record<RequestState, Tone> = {
  unconfirmed: 'neutral',
  open: 'info',
  claimed: 'info',
  needs_info: 'warn',
  escalated: 'warn',
  awaiting_second_approval: 'warn',
  approved: 'ok',
  applied: 'ok',
  rejected: 'bad',
  cancelled: 'neutral',
};

export const CHANGE_LABELS: Record<ChangeKind, string> = {
  email: 'Change email address',
  phone: 'Change phone number',
  remove_two_factor: 'Remove two-step verification',
  reset_security_question: 'Reset security question',
};

export const RISK_LEVELS: readonly RiskLevel[] = ['low', 'medium', 'high'];

export const RISK_LABELS: Record<RiskLevel, string> = {
  low: 'Low risk',
  medium: 'Medium risk',
  high: 'High risk',
};

export const RISK_TONES: Record<RiskLevel, Tone> = {
  low: 'ok',
  medium: 'warn',
  high: 'bad',
};

export const CHECKLIST_LABELS: Record<ChecklistItem, string> = {
  facts_match_account: 'The facts the user gave match what is on file',
  recent_activity_reviewed: 'Recent recovery activity reviewed: nothing suspicious',
  duplicates_reviewed: 'Possible duplicate accounts reviewed',
  statement_consistent: "The statement is consistent with the account's history",
  evidence_reviewed: 'Evidence files reviewed (or there are none)',
  new_value_not_on_another_account: 'The new address or phone is not on another account',
};

export const DECISIONS: readonly { decision: Decision; id: string; label: string; confirm: boolean }[] = [
  { decision: 'approve', id: 'decide-approve', label: 'Approve', confirm: true },
  { decision: 'reject', id: 'decide-reject', label: 'Reject', confirm: true },
  { decision: 'need_info', id: 'decide-need-info', label: 'Ask for more info', confirm: false },
  { decision: 'escalate', id: 'decide-escalate', label: 'Escalate to a lead', confirm: false },
];

/** A duration for people: "2d 4h", "3h 12m", "20m", "45s". */
export function formatDuration(totalSeconds: number): string {
  const s = Number.isFinite(totalSeconds) ? Math.max(0, Math.floor(totalSeconds)) : 0;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

export type Sla = { text: string; overdue: boolean; tone: Tone };

/** Under this many seconds left, the SLA shows as a warning. */
export const SLA_SOON_SECS = 3600;

/** The SLA countdown: "due in 3h 12m" or "overdue 20m" (at `nowMs`). */
export function slaStatus(dueIso: string, nowMs: number): Sla {
  const due = Date.parse(dueIso);
  if (Number.isNaN(due)) return { text: 'due time unknown', overdue: false, tone: 'neutral' };
  const left = (due - nowMs) / 1000;
  if (left < 0) return { text: `overdue ${formatDuration(-left)}`, overdue: true, tone: 'bad' };
  return {
    text: `due in ${formatDuration(left)}`,
    overdue: false,
    tone: left < SLA_SOON_SECS ? 'warn' : 'neutral',
  };
}

/** States that are finished: no SLA to chase. */
export function isFinished(state: RequestState): boolean {
  return state === 'approved' || state === 'applied' || state === 'rejected' || state === 'cancelled';
}

// Filters

export type QuickFilter = 'all' | 'mine' | 'unassigned' | 'second_approval' | 'escalated';

export const QUICK_FILTERS: readonly { id: QuickFilter; elementId: string; label: string }[] = [
  { id: 'all', elementId: 'queue-filter-all', label: 'All' },
  { id: 'mine', elementId: 'queue-filter-mine', label: 'Mine' },
  { id: 'unassigned', elementId: 'queue-filter-unassigned', label: 'Unassigned' },
  { id: 'second_approval', elementId: 'queue-filter-second-approval', label: 'Second approval' },
  { id: 'escalated', elementId: 'queue-filter-escalated', label: 'Escalated' },
];

/**
 * The filter the agent chose: a quick filter, a risk level ('' for any) and a state from the
 * counts above the list ('' for any; the quick filters that name a state and a state chip
 * replace each other).
 */
export type QueueChoice = { quick: QuickFilter; risk: RiskLevel | ''; state?: RequestState | '' };

/** Quick filters that are a state of their own. */
const QUICK_STATES: Partial<Record<QuickFilter, RequestState>> = {
  second_approval: 'awaiting_second_approval',
  escalated: 'escalated',
};

/** The choice as text ("all", "mine:high", "all:claimed"): what the list exposes as `data-filter`. */
export function choiceKey({ quick, risk, state }: QueueChoice): string {
  return [quick, state, risk].filter(Boolean).join(':');
}

/** The service filter for a quick filter, a risk level and a state ('' for any). */
export function toQueueFilter(
  quick: QuickFilter,
  risk: RiskLevel | '',
  state: RequestState | '' = '',
): QueueFilter {
  const filter: QueueFilter = {};
  if (quick === 'mine') filter.assignee = 'me';
  else if (quick === 'unassigned') filter.assignee = 'none';
  const quickState = QUICK_STATES[quick];
  if (state) filter.state = state;
  else if (quickState) filter.state = quickState;
  if (risk) filter.risk = risk;
  return filter;
}

/** A quick filter picked: a state chip gives way to a quick filter that is a state itself. */
export function withQuick(choice: QueueChoice, quick: QuickFilter, risk: RiskLevel | ''): QueueChoice {
  return { quick, risk, state: QUICK_STATES[quick] ? '' : (choice.state ?? '') };
}

/** A state chip pressed: filters by that state, or (pressed again) by none. */
export function withState(choice: QueueChoice, state: RequestState): QueueChoice {
  const next = choice.state === state ? '' : state;
  return { quick: next && QUICK_STATES[choice.quick] ? 'all' : choice.quick, risk: choice.risk, state: next };
}

// Who may do what (the console hides what a role cannot do; the service refuses it anyway)

export function isLead(role: Role | null | undefined): boolean {
  return role === 'lead' || role === 'admin';
}

/** The agent holds the request: it is claimed and they are its assignee. */
export function holds(detail: RequestDetail | null, agentId: number): boolean {
  return detail !== null && detail.item.state === 'claimed' && detail.item.assignee_id === agentId;
}

/** The request was escalated before its current claim (its last move into "claimed" came from "escalated"). */
export function claimedFromEscalation(detail: RequestDetail): boolean {
  for (let i = detail.steps.length - 1; i >= 0; i--) {
    const step = detail.steps[i];
    if (step.to === 'claimed') return step.from === 'escalated';
  }
  return false;
}

/** The decision buttons are enabled: the agent holds it, and escalated requests are for leads only. */
export function canDecide(detail: RequestDetail | null, agentId: number, role: Role): boolean {
  if (!detail || !holds(detail, agentId)) return false;
  return !claimedFromEscalation(detail) || isLead(role);
}

/** The Claim button shows: open (or, for leads, escalated) and not held by this agent. */
export function canClaim(detail: RequestDetail | null, agentId: number, role: Role): boolean {
  if (!detail || holds(detail, agentId)) return false;
  const state = detail.item.state;
  return state === 'open' || (state === 'escalated' && isLead(role));
}

/** The checklist items of `required` not in `ticked`. */
export function missingItems(
  required: readonly ChecklistItem[],
  ticked: ReadonlySet<ChecklistItem>,
): ChecklistItem[] {
  return required.filter((item) => !ticked.has(item));
}

/** Bytes for people: "812 B", "14.2 KB", "1.3 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Images the evidence viewer shows inline; anything else is listed only. */
export const INLINE_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg'];

/** A PDF: the console draws its first pages to images in Rust and shows those. */
export function isPdf(contentType: string): boolean {
  return contentType.toLowerCase() === 'application/pdf';
}

export function isInlineImage(contentType: string): boolean {
  return INLINE_IMAGE_TYPES.includes(contentType.toLowerCase());
}
