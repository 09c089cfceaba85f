// Small display helpers: rupees, salon-local dates and hours, countdowns, safe HTML.
export const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g,
  (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

export const rupees = (value) => (typeof value === 'number'
  ? `₹${Math.round(value).toLocaleString('en-IN')}` : '—');

export const percent = (value) => (typeof value === 'number' ? `${Math.round(value * 100)}%` : '—');

export function toMillis(value) {
  if (!value) return null;
  if (typeof value.toMillis === 'function') return value.toMillis();
  if (value instanceof Date) return value.getTime();
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

function parts(millis, timeZone) {
  const fields = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(millis));
  const get = (type) => Number(fields.find((f) => f.type === type).value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** The salon-local date `YYYY-MM-DD` of an instant (the id of analytics_daily / event_counters documents). */
export function localDate(millis, timeZone) {
  const p = parts(millis, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export function localHour(millis, timeZone) {
  return parts(millis, timeZone).hour;
}

export function localTime(millis, timeZone) {
  if (millis == null) return '—';
  const p = parts(millis, timeZone);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** The instant the salon-local day `YYYY-MM-DD` starts. */
export function startOfLocalDay(dateText, timeZone) {
  const [y, m, d] = dateText.split('-').map(Number);
  let guess = Date.UTC(y, m - 1, d);
  for (let i = 0; i < 2; i += 1) {
    const p = parts(guess, timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    guess -= shown - Date.UTC(y, m - 1, d);
  }
  return guess;
}

export function countdown(untilMillis, nowMillis = Date.now()) {
  if (untilMillis == null) return '—';
  const left = Math.round((untilMillis - nowMillis) / 1000);
  if (left <= 0) return 'expired';
  const minutes = Math.floor(left / 60);
  const seconds = left % 60;
  return minutes >= 60 ? `${Math.floor(minutes / 60)}h ${minutes % 60}m` : `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

export const PRIORITY_RANK = { urgent: 4, high: 3, medium: 2, low: 1 };
