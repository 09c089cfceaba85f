// The spec's six metrics for the salon's day, as the console can know them. A browser cannot read Cloud
// Logging, so these come from Firestore: the analytics run's analytics_daily/{date} document (hourly) and the
// live agent_states. The definitions match the log-based metrics Cloud Monitoring computes
// (terraform/monitoring.tf): success rate = successes / (successes + failures); delivery rate =
// delivered / (delivered + failed).
import { escapeHtml, percent, rupees } from './format.js';

const sum = (values) => values.reduce((a, b) => a + b, 0);

/** [{ name, value, detail }] for the six metrics; `analytics` may be null (before the first analytics run). */
export function dayMetrics(analytics, agents, agentsRefused = false) {
  const later = 'after the analytics run';
  const decisions = analytics?.decisions ?? null;
  const byType = Object.entries(decisions?.by_type ?? {});
  const won = sum(byType.map(([, row]) => row.success ?? 0));
  const lost = sum(byType.map(([, row]) => row.failed ?? 0));
  const outreach = analytics?.outreach ?? null;
  const reports = (outreach?.delivered ?? 0) + (outreach?.failed ?? 0);
  const seconds = analytics?.approvals?.median_response_seconds;
  const breakers = agents.map((a) => [a.agent_name, a.circuit_breaker?.state ?? 'closed']);
  const notClosed = breakers.filter(([, state]) => state !== 'closed');
  return [
    { name: 'autonomous_decisions_total', value: decisions ? `${decisions.total ?? 0}` : '—',
      detail: decisions ? byType.map(([type, row]) => `${type} ${row.count ?? 0}`).join(' · ') || 'none' : later },
    { name: 'autonomous_decisions_success_rate', value: won + lost ? percent(won / (won + lost)) : '—',
      detail: decisions ? `${won} succeeded, ${lost} failed` : later },
    { name: 'autonomous_revenue_generated', value: analytics ? rupees(analytics.revenue?.attributed ?? 0) : '—',
      detail: analytics ? 'attributed to successful decisions' : later },
    { name: 'agent_circuit_breaker_state', value: agentsRefused ? '—' : (notClosed.length ? `${notClosed.length} not closed` : 'all closed'),
      detail: agentsRefused ? 'agent states are for owners and managers' : (notClosed.map(([name, state]) => `${name} ${state}`).join(' · ') || `${breakers.length} agents, live`) },
    { name: 'approval_response_time_seconds', value: typeof seconds === 'number' ? `${Math.round(seconds)} s` : '—',
      detail: analytics ? (typeof seconds === 'number' ? 'median, request to answer' : 'no answers yet') : later },
    { name: 'outreach_delivery_rate', value: reports ? percent(outreach.delivered / reports) : '—',
      detail: outreach ? `${outreach.delivered ?? 0} delivered, ${outreach.failed ?? 0} failed` : later },
  ];
}

export function metricsTable(rows) {
  return `<table>${rows.map((r) => `<tr data-testid="metric" data-metric="${escapeHtml(r.name)}"><td>${escapeHtml(r.name)}</td>
    <td class="value" data-testid="metric-value">${escapeHtml(r.value)}</td><td class="muted">${escapeHtml(r.detail)}</td></tr>`).join('')}</table>`;
}
