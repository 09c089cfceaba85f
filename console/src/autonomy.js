// Graduated autonomy on the Today page: where each action type stands, why, and the owner's pin.
// The standing documents (autonomy_standings/{type}) are written by the server only; a type never judged yet
// has none, and then the salon's own `autonomy` setting speaks. Pinning goes through the API, which audits it.
import { escapeHtml, percent } from './format.js';

// The agent whose API path pins a type (a type's standing is shared by every agent proposing it).
export const PIN_AGENT = {
  gap_fill: 'gap_fill_agent',
  waitlist_promotion: 'waitlist_agent',
  no_show_prevention: 'no_show_prevention_agent',
  discount_offer: 'retention_agent',
  dynamic_pricing: 'analytics_agent',
};
const PROMOTE_STREAK = 20;

/** One row per decision type: { type, level, reason, evidence, pinned, pinnedBy }. */
export function autonomyRows(salon, standings) {
  const byType = new Map(standings.map((s) => [s.decision_type, s]));
  return Object.keys(PIN_AGENT).map((type) => {
    const setting = salon?.autonomy?.[type] ?? null;
    const standing = byType.get(type);
    if (standing && (setting === null || standing.level === setting)) {
      return { type, level: standing.level, reason: standing.reason, evidence: standing.evidence ?? {},
        pinned: standing.pinned ?? null, pinnedBy: standing.pinned_by ?? null };
    }
    // Never judged, or the owner moved the level in the settings since: the settings speak.
    const earn = setting === 'supervised' ? ` (${PROMOTE_STREAK} approvals in a row earn full_auto)` : '';
    return { type, level: setting ?? '—', reason: `${type} is ${setting ?? 'unset'} from the salon's settings; no verdicts since${earn}`,
      evidence: {}, pinned: null, pinnedBy: null };
  });
}

function evidenceText(evidence) {
  if (evidence.approvals_in_a_row === undefined) return '—';
  const rate = evidence.approval_rate === null || evidence.approval_rate === undefined ? '' : ` · ${percent(evidence.approval_rate)} approved`;
  const optOuts = evidence.opt_outs ? ` · ${evidence.opt_outs} opt-outs` : '';
  return `${evidence.approvals_in_a_row}/${PROMOTE_STREAK} approvals in a row${rate}${optOuts}`;
}

export function autonomyTable(rows, isOwner) {
  return `<table><tr><th>action type</th><th>level</th><th>why</th><th>record</th><th></th></tr>${rows.map((r) => `
    <tr data-testid="autonomy" data-type="${escapeHtml(r.type)}"><td>${escapeHtml(r.type)}</td>
      <td data-testid="autonomy-level">${escapeHtml(r.level)}${r.pinned ? ' <span class="muted" data-testid="pinned">pinned</span>' : ''}</td>
      <td data-testid="autonomy-reason">${escapeHtml(r.reason)}</td><td>${escapeHtml(evidenceText(r.evidence))}</td>
      <td>${isOwner && r.level !== '—' ? (r.pinned
    ? `<button type="button" data-action="unpin" data-type="${escapeHtml(r.type)}" data-testid="unpin">Unpin</button>`
    : `<button type="button" data-action="pin" data-type="${escapeHtml(r.type)}" data-level="${escapeHtml(r.level)}" data-testid="pin">Hold at ${escapeHtml(r.level)}</button>`) : ''}</td></tr>`).join('')}</table>`;
}

/** Pin a type at a level (null lifts the pin) through the API; resolves to a notice for the page. */
export async function pinAutonomy(callApi, ctx, type, level) {
  await callApi(ctx, 'PUT', `/autonomous/agents/${PIN_AGENT[type]}/autonomy/${encodeURIComponent(type)}`,
    { pinned: level, reason: level ? 'held from the owner console' : null });
  return level ? `${type} is held at ${level}.` : `${type} is unpinned: its record decides again.`;
}
