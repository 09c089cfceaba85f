// Page 3: the day as a chart — revenue recovered, messages sent and gap fill rate per salon-local hour.
// A small SVG drawn here: bars for messages, a line for revenue, dots for the fill rate.
import { listenToDay } from './today.js';
import { escapeHtml, localHour, percent, rupees, toMillis } from './format.js';

const SENT = new Set(['sent', 'delivered', 'read', 'responded']);

export function hourly(state, timeZone, firstHour = 8, lastHour = 21) {
  const hours = [];
  for (let h = firstHour; h <= lastHour; h += 1) hours.push({ hour: h, revenue: 0, messages: 0, gaps: 0, filled: 0 });
  const at = (millis) => (millis == null ? null : hours.find((b) => b.hour === localHour(millis, timeZone)));
  for (const d of state.decisions) {
    if (d.outcome?.status !== 'success' || d.action_taken === 'holdout_no_action') continue;
    const bucket = at(toMillis(d.outcome?.completed_at) ?? toMillis(d.updated_at));
    if (bucket) bucket.revenue += d.revenue_impact?.actual ?? 0;
  }
  for (const o of state.outreach) {
    if (!SENT.has(o.status)) continue;
    const bucket = at(toMillis(o.delivery?.sent_at) ?? toMillis(o.created_at));
    if (bucket) bucket.messages += 1;
  }
  for (const g of state.gaps) {
    const bucket = at(toMillis(g.start_time));
    if (!bucket) continue;
    bucket.gaps += 1;
    if (g.status === 'filled') bucket.filled += 1;
  }
  return hours.map((b) => ({ ...b, fillRate: b.gaps ? b.filled / b.gaps : null }));
}

export function chartSvg(rows, { width = 900, height = 320 } = {}) {
  const pad = { left: 56, right: 56, top: 20, bottom: 36 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const step = w / rows.length;
  const maxMessages = Math.max(1, ...rows.map((r) => r.messages));
  const maxRevenue = Math.max(100, ...rows.map((r) => r.revenue));
  const x = (i) => pad.left + step * i + step / 2;
  const yMessages = (v) => pad.top + h - (v / maxMessages) * h;
  const yRevenue = (v) => pad.top + h - (v / maxRevenue) * h;
  const yRate = (v) => pad.top + h - v * h;
  const bars = rows.map((r, i) => `<rect class="bar" x="${x(i) - step * 0.3}" y="${yMessages(r.messages)}" width="${step * 0.6}" height="${pad.top + h - yMessages(r.messages)}"><title>${r.hour}:00 — ${r.messages} messages</title></rect>`).join('');
  const line = rows.map((r, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${yRevenue(r.revenue).toFixed(1)}`).join(' ');
  const dots = rows.filter((r) => r.fillRate != null).map((r) => `<circle class="rate" cx="${x(rows.indexOf(r))}" cy="${yRate(r.fillRate)}" r="5"><title>${r.hour}:00 — fill rate ${percent(r.fillRate)} (${r.filled}/${r.gaps})</title></circle>`).join('');
  const labels = rows.map((r, i) => `<text class="axis" x="${x(i)}" y="${height - 14}" text-anchor="middle">${r.hour}</text>`).join('');
  const ticks = [0, 0.5, 1].map((t) => `<line class="grid" x1="${pad.left}" x2="${width - pad.right}" y1="${pad.top + h - t * h}" y2="${pad.top + h - t * h}"/>
    <text class="axis" x="${pad.left - 6}" y="${pad.top + h - t * h + 4}" text-anchor="end">${Math.round(t * maxMessages)}</text>
    <text class="axis revenue" x="${width - pad.right + 6}" y="${pad.top + h - t * h + 4}">${rupees(t * maxRevenue)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Revenue, messages and fill rate per hour" data-testid="chart-svg">
    ${ticks}${bars}<path class="revenue-line" d="${line}"/>${rows.map((r, i) => `<circle class="revenue-dot" cx="${x(i)}" cy="${yRevenue(r.revenue)}" r="3"><title>${r.hour}:00 — ${rupees(r.revenue)}</title></circle>`).join('')}${dots}${labels}
  </svg>`;
}

export function renderChart(ctx, root) {
  root.innerHTML = `
    <section class="page" data-testid="chart">
      <h2>The day, hour by hour <span class="muted">${escapeHtml(ctx.day.date)}</span></h2>
      <p class="legend"><span class="key bar"></span> messages sent <span class="key revenue-line"></span> revenue recovered <span class="key rate"></span> gap fill rate (0–100 %)</p>
      <div data-testid="chart-area"></div>
      <table class="hours" data-testid="chart-table"></table>
    </section>`;
  const area = root.querySelector('[data-testid="chart-area"]');
  const table = root.querySelector('[data-testid="chart-table"]');
  return listenToDay(ctx, (state) => {
    const refused = ['decisions', 'outreach', 'gaps'].filter((name) => state.errors[name]);
    if (refused.length) {
      ctx.refuse(area, `this salon's ${refused.join(', ')}`, state.errors[refused[0]]);
      return;
    }
    const rows = hourly(state, ctx.timeZone);
    area.innerHTML = chartSvg(rows);
    table.innerHTML = `<tr><th>hour</th>${rows.map((r) => `<th>${r.hour}</th>`).join('')}</tr>
      <tr><th>revenue</th>${rows.map((r) => `<td>${r.revenue ? rupees(r.revenue) : ''}</td>`).join('')}</tr>
      <tr><th>messages</th>${rows.map((r) => `<td>${r.messages || ''}</td>`).join('')}</tr>
      <tr><th>fill rate</th>${rows.map((r) => `<td>${r.fillRate == null ? '' : percent(r.fillRate)}</td>`).join('')}</tr>`;
  });
}
