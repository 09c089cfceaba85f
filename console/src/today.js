// Page 2: today — gaps, outreach (sent and held back, with reasons), decisions with outcomes, revenue
// attributed vs lift net of the holdout, where each action type stands on the autonomy ladder, and every
// agent's state and circuit breaker, all live.
import { collection, doc, onSnapshot, query, where, Timestamp } from 'firebase/firestore';
import { callApi } from './api.js';
import { autonomyRows, autonomyTable, pinAutonomy } from './autonomy.js';
import { escapeHtml, localTime, percent, rupees, toMillis } from './format.js';
import { dayMetrics, metricsTable } from './metrics.js';

const HOLDOUT_ACTION = 'holdout_no_action';
const SENT = new Set(['sent', 'delivered', 'read', 'responded']);

/** Why governance held a decision back (the demo narrator's reading of outcome.result). */
export function heldBackReason(decision) {
  const result = String(decision.outcome?.result ?? '');
  if (result.startsWith('suppressed:')) return `suppressed: ${result.slice('suppressed:'.length).trim()}`;
  if (result.startsWith('deferred')) return `deferred: ${result.split(': ').slice(1).join(': ').trim() || result}`;
  return null;
}

/** Live listeners on the day's documents; `onChange(state)` after every change; returns the unsubscribe. */
export function listenToDay(ctx, onChange) {
  const { db, salonId, day } = ctx;
  const state = { analytics: null, counters: null, gaps: [], outreach: [], decisions: [], agents: [], salon: null,
    standings: [], errors: {} };
  const since = Timestamp.fromMillis(day.start);
  const base = ['salons', salonId];
  const watch = (name, target, read) => onSnapshot(target, (snap) => {
    delete state.errors[name];
    state[name] = read(snap);
    onChange(state);
  }, (error) => {
    state.errors[name] = error;
    onChange(state);
  });
  const stops = [
    watch('analytics', doc(db, ...base, 'analytics_daily', day.date), (s) => (s.exists() ? s.data() : null)),
    watch('counters', doc(db, ...base, 'event_counters', day.date), (s) => (s.exists() ? s.data() : null)),
    watch('gaps', query(collection(db, ...base, 'gaps'), where('date', '==', day.date)), (s) => s.docs.map((d) => d.data())),
    watch('outreach', query(collection(db, ...base, 'outreach'), where('created_at', '>=', since)), (s) => s.docs.map((d) => d.data())),
    watch('decisions', query(collection(db, ...base, 'autonomous_decisions'), where('created_at', '>=', since)), (s) => s.docs.map((d) => d.data())),
  ];
  if (ctx.role === 'owner' || ctx.role === 'manager') {
    stops.push(watch('agents', collection(db, ...base, 'agent_states'), (s) => s.docs.map((d) => d.data())));
    stops.push(watch('salon', doc(db, ...base), (s) => (s.exists() ? s.data() : null)));
    stops.push(watch('standings', collection(db, ...base, 'autonomy_standings'), (s) => s.docs.map((d) => d.data())));
  } else {
    state.errors.agents = { code: 'permission-denied', message: `agent states are for owners and managers (your role: ${ctx.role})`, local: true };
    state.errors.standings = { code: 'permission-denied', message: `autonomy is for owners and managers (your role: ${ctx.role})`, local: true };
  }
  return () => stops.forEach((stop) => stop());
}

export function summarize(state) {
  const gaps = { open: 0, filled: 0, expired: 0, other: 0 };
  for (const gap of state.gaps) gaps[gap.status in gaps ? gap.status : 'other'] += 1;
  const settled = gaps.filled + gaps.expired;
  const outreach = { sent: 0, pending: 0, failed: 0, total: state.outreach.length };
  const reasons = new Map();
  const countReason = (reason) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  for (const item of state.outreach) {
    if (SENT.has(item.status)) outreach.sent += 1;
    else if (item.status === 'failed') outreach.failed += 1;
    else outreach.pending += 1;
    if (item.suppression_reason) countReason(`suppressed by Twilio: ${item.suppression_reason}`);
  }
  const decisions = state.decisions.slice().sort((a, b) => (toMillis(b.created_at) ?? 0) - (toMillis(a.created_at) ?? 0));
  let attributed = 0;
  let holdout = 0;
  for (const decision of decisions) {
    const why = heldBackReason(decision);
    if (why) countReason(why);
    if (decision.action_taken === HOLDOUT_ACTION) holdout += 1;
    else if (decision.outcome?.status === 'success') attributed += decision.revenue_impact?.actual ?? 0;
  }
  const revenue = state.analytics?.revenue ?? null;
  return {
    gaps: { ...gaps, fillRate: settled ? gaps.filled / settled : null },
    outreach,
    heldBack: [...reasons.entries()].sort((a, b) => b[1] - a[1]),
    decisions,
    holdout,
    revenue: {
      attributedLive: attributed,
      attributed: revenue?.attributed ?? null,
      lift: revenue?.lift_net_of_holdout ?? null,
      byAgent: revenue?.by_agent ?? {},
    },
    events: state.counters?.events ?? {},
  };
}

export function renderToday(ctx, root) {
  root.innerHTML = `
    <section class="page" data-testid="today">
      <h2>Today <span class="muted">${escapeHtml(ctx.day.date)} · ${escapeHtml(ctx.timeZone)}</span></h2>
      <div class="cards" data-testid="cards"></div>
      <div class="grid">
        <section class="panel"><h3>Held back, and why</h3><div data-testid="held-back"></div></section>
        <section class="panel"><h3>Revenue by agent</h3><div data-testid="by-agent"></div></section>
      </div>
      <section class="panel"><h3>Metrics <span class="muted">from the day's Firestore counters (Cloud Monitoring computes the same from the logs)</span></h3><div data-testid="metrics"></div></section>
      <section class="panel"><h3>Autonomy <span class="muted">earned by the owner's answers, lost on rejections or opt-outs</span></h3><p class="notices" data-testid="autonomy-notices"></p><div data-testid="autonomy-table"></div></section>
      <section class="panel"><h3>Agents</h3><p class="notices" data-testid="agent-notices"></p><div data-testid="agents"></div></section>
      <section class="panel"><h3>Decisions</h3><div data-testid="decisions"></div></section>
    </section>`;
  const $ = (id) => root.querySelector(`[data-testid="${id}"]`);
  const tz = ctx.timeZone;
  const refusal = (error) => `<p class="refusal" data-testid="refusal">Not shown: ${escapeHtml(error.code)} — ${escapeHtml(error.local ? error.message : 'the security rules refuse this to your account')}.</p>`;

  const draw = (state) => {
    const s = summarize(state);
    const card = (testid, label, value, sub = '') => `<div class="card" data-testid="${testid}"><span class="label">${label}</span><span class="value">${value}</span><span class="sub">${sub}</span></div>`;
    const blocked = (name) => state.errors[name];
    $('cards').innerHTML = [
      blocked('gaps') ? refusal(blocked('gaps')) : card('gaps', 'Gaps open / filled', `${s.gaps.open} / ${s.gaps.filled}`, `fill rate ${percent(s.gaps.fillRate)} · ${s.gaps.expired} expired`),
      blocked('outreach') ? refusal(blocked('outreach')) : card('outreach', 'Messages sent', `${s.outreach.sent}`, `${s.outreach.pending} waiting · ${s.outreach.failed} not sent`),
      blocked('decisions') ? refusal(blocked('decisions')) : card('decisions-card', 'Decisions', `${s.decisions.length}`, `${s.holdout} in the holdout`),
      card('revenue', 'Revenue attributed', rupees(s.revenue.attributed ?? s.revenue.attributedLive), `live from decisions: ${rupees(s.revenue.attributedLive)}`),
      card('lift', 'Lift net of holdout', rupees(s.revenue.lift), s.revenue.lift == null ? 'after the analytics run' : 'what the agents really added'),
      blocked('counters') ? refusal(blocked('counters')) : card('events', 'Events today', `${Object.values(s.events).reduce((a, b) => a + b, 0)}`, Object.entries(s.events).map(([k, v]) => `${k.toLowerCase()} ${v}`).join(' · ') || 'none yet'),
    ].join('');
    $('metrics').innerHTML = blocked('analytics') ? refusal(blocked('analytics'))
      : metricsTable(dayMetrics(state.analytics, state.agents, Boolean(blocked('agents'))));
    $('autonomy-table').innerHTML = blocked('standings') ? refusal(blocked('standings'))
      : autonomyTable(autonomyRows(state.salon, state.standings), ctx.role === 'owner');
    $('held-back').innerHTML = s.heldBack.length === 0 ? '<p class="muted">Nothing held back.</p>'
      : `<ul>${s.heldBack.map(([why, n]) => `<li><b>${n}</b> ${escapeHtml(why)}</li>`).join('')}</ul>`;
    const agents = Object.entries(s.revenue.byAgent);
    $('by-agent').innerHTML = agents.length === 0 ? '<p class="muted">Appears after the hourly analytics run.</p>'
      : `<table><tr><th>agent</th><th>attributed</th><th>lift</th><th>treated</th><th>holdout</th></tr>${agents.map(([name, a]) => `<tr><td>${escapeHtml(name)}</td><td>${rupees(a.attributed_revenue)}</td><td>${rupees(a.lift_revenue)}</td><td>${a.treated_cases ?? 0} (${percent(a.treated_success_rate)})</td><td>${a.holdout_cases ?? 0} (${percent(a.holdout_success_rate)})</td></tr>`).join('')}</table>`;
    if (blocked('agents')) {
      $('agents').innerHTML = refusal(blocked('agents'));
    } else {
      const manager = ctx.role === 'owner' || ctx.role === 'manager';
      $('agents').innerHTML = `<table><tr><th>agent</th><th>status</th><th>breaker</th><th>errors</th><th>last run</th><th></th></tr>${state.agents.slice().sort((a, b) => a.agent_name.localeCompare(b.agent_name)).map((a) => {
        const breaker = a.circuit_breaker ?? {};
        const cooldown = toMillis(breaker.cooldown_until);
        return `<tr data-testid="agent" data-agent="${escapeHtml(a.agent_name)}"><td>${escapeHtml(a.agent_name)}</td>
          <td data-testid="agent-status">${escapeHtml(a.status)}</td>
          <td data-testid="breaker"><span class="breaker ${escapeHtml(breaker.state)}">${escapeHtml(breaker.state ?? '—')}</span>${cooldown ? ` until ${localTime(cooldown, tz)}` : ''}</td>
          <td>${breaker.error_count ?? 0}${breaker.last_error ? ` · ${escapeHtml(breaker.last_error)}` : ''}</td>
          <td>${localTime(toMillis(a.last_execution), tz)}</td>
          <td>${manager ? `<button type="button" data-action="${a.status === 'paused' ? 'resume' : 'pause'}" data-testid="${a.status === 'paused' ? 'resume' : 'pause'}">${a.status === 'paused' ? 'Resume' : 'Pause'}</button>
            <button type="button" data-action="reset" data-testid="reset-breaker" ${breaker.state === 'closed' ? 'disabled' : ''}>Reset breaker</button>` : ''}</td></tr>`;
      }).join('')}</table>`;
    }
    $('decisions').innerHTML = blocked('decisions') ? refusal(blocked('decisions')) : (s.decisions.length === 0 ? '<p class="muted">No decisions yet today.</p>'
      : `<table><tr><th>time</th><th>agent</th><th>decision</th><th>action</th><th>approval</th><th>outcome</th><th>revenue</th></tr>${s.decisions.slice(0, 50).map((d) => `<tr data-testid="decision"><td>${localTime(toMillis(d.created_at), tz)}</td><td>${escapeHtml(d.agent_name)}</td><td>${escapeHtml(d.decision_type)}</td><td>${escapeHtml(d.action_taken)}</td><td>${escapeHtml(d.approval?.status ?? '—')}</td><td>${escapeHtml(d.outcome?.status ?? '—')}${heldBackReason(d) ? ` <span class="muted">(${escapeHtml(heldBackReason(d))})</span>` : ''}</td><td>${rupees(d.revenue_impact?.actual)}</td></tr>`).join('')}</table>`);
  };

  root.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    if (button.dataset.action === 'pin' || button.dataset.action === 'unpin') {
      const notices = $('autonomy-notices');
      button.disabled = true;
      try {
        notices.textContent = await pinAutonomy(callApi, ctx, button.dataset.type,
          button.dataset.action === 'pin' ? button.dataset.level : null);
      } catch (error) {
        notices.textContent = `Refused: ${error.message}`;
        button.disabled = false;
      }
      return;
    }
    const name = button.closest('[data-agent]').dataset.agent;
    const notices = $('agent-notices');
    button.disabled = true;
    try {
      if (button.dataset.action === 'reset') {
        await callApi(ctx, 'POST', `/autonomous/agents/${encodeURIComponent(name)}/reset-circuit-breaker`, { reason: 'reset from the owner console' });
        notices.textContent = `Circuit breaker of ${name} reset.`;
      } else {
        const status = button.dataset.action === 'pause' ? 'paused' : 'active';
        await callApi(ctx, 'PATCH', `/autonomous/agents/${encodeURIComponent(name)}`, { status, reason: 'from the owner console' });
        notices.textContent = `${name} is now ${status}.`;
      }
    } catch (error) {
      notices.textContent = `Refused: ${error.message}`;
      button.disabled = false;
    }
  });
  return listenToDay(ctx, draw);
}
