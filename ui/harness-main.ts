import { mockIPC } from '@tauri-apps/api/mocks';
const TOTAL = 1_000_000;
const entry = (id: number) => ({
  id, at: new Date(Date.UTC(2024, 4, 1) - (TOTAL - id) * 1000).toISOString(), actor_id: 3, actor_email: 'alex@demo.test', actor_role: 'agent',
  action: ['password_reset', 'sign_in', 'sign_out'][id % 3], target_type: 'account', target_id: String(id % 5000), reason: id % 3 === 0 ? 'forgot_password' : null,
  ticket: id % 3 === 0 ? `SUP-${id}` : null, outcome: ['success', 'failure', 'rate_limited', 'refused_cooldown'][id % 7 % 4], client: '127.0.0.1 RecoveryDesk/0.1',
  detail: JSON.stringify({ email_id: id, note: 'x' }), prev_hash: 'a'.repeat(64), hash: 'b'.repeat(64),
});
const agentFig = (id: number, name: string) => ({ agent_id: id, email: `${name.toLowerCase()}@demo.test`, name, role: 'agent', actions: 40 * id,
  by_action: [{ action: 'password_reset', count: 12 * id }, { action: 'sign_in', count: 5 }, { action: 'sign_out', count: 4 }], resets_sent: 12 * id, queue_decisions: 4, median_handling_secs: 640, second_approvals: 1,
  by_hour: Array.from({ length: 24 }, (_, h) => (h > 7 && h < 18 ? (h * id) % 13 : 0)) });
const figures = { from: '', to: '', agents: [agentFig(3, 'Alex'), agentFig(4, 'Bea'), agentFig(5, 'Cy')], anomalies: [{ kind: 'high_rate', agent_id: 3, agent_email: 'alex@demo.test', summary: '40 resets in 10 minutes', entry_ids: [999_998, 999_995] }] };
mockIPC(async (cmd, args: any) => {
  if (cmd === 'session_status') return { signed_in: true, agent: { id: 1, email: 'lea@demo.test', name: 'Lea Lead', role: 'lead' }, server_url: 'http://127.0.0.1:8787', expires_at: null, notice: null };
  if (cmd === 'audit_query') { const start = args.cursor ? Number(args.cursor) : TOTAL; const items = []; for (let i = start; i > start - 100 && i > 0; i--) items.push(entry(i)); return { items, next_cursor: start - 100 > 0 ? String(start - 100) : null }; }
  if (cmd === 'audit_figures') return figures;
  if (cmd === 'audit_verify') return { ok: false, entries: TOTAL, head_hash: 'x', broken: { id: 734, reason: 'hash does not match' }, checkpoints_checked: 3 };
  if (cmd === 'audit_export') return { path: '/home/lea/audit.csv', entries: 1234, bytes: 99999 };
  throw { code: 'internal', message: cmd, field: null, retry_after: null };
});
await import('./src/main');
const q = new URLSearchParams(location.search);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
await wait(300);
(document.querySelector('#nav-audit') as HTMLElement)?.click();
await wait(400);
if (q.get('tab')) (document.querySelector(`#audit-tab-${q.get('tab')}`) as HTMLElement).click();
if (q.get('open')) { const t = document.querySelector('#audit-table') as HTMLElement; t.focus(); for (let i = 0; i < 3; i++) t.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true })); t.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })); (document.querySelector('#audit-verify') as HTMLElement).click(); (document.querySelector('#audit-export-csv') as HTMLElement).click(); }
if (q.get('scroll')) { const s = document.querySelector('.audit-scroller') as HTMLElement; for (let i = 0; i < 30; i++) { s.scrollTop += 3000; await wait(50); } }
