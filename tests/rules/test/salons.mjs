// salons/{salonId}: members read; managers edit day-to-day settings; owners alone touch autonomy, rate limits,
// offers, holdout share, approvers and templates; nobody creates, deletes or lists salons.
import { collection, deleteDoc, doc, getDoc, getDocs, query, setDoc, updateDoc, where } from 'firebase/firestore';
import { Cases, MEMBERS } from './harness.mjs';
import { NOW, fromNow, salonDoc } from './fixtures.mjs';

const cases = new Cases('salons/{salonId}');
const salon = salonDoc('s1');
const fresh = { reset: { 'salons/s1': salon } }; // every update starts from the same stored settings
const s1 = (db) => doc(db, 'salons/s1');
const change = (changes) => (db) => updateDoc(s1(db), { ...changes, updated_at: NOW() });

for (const who of MEMBERS) cases.allow(`salon get by ${who}`, who, (db) => getDoc(s1(db)));
cases.denyNonMembers('salon get', (db) => getDoc(s1(db)));
cases.deny('salon get of another salon by a member', 'owner', (db) => getDoc(doc(db, 'salons/s2')));
cases.deny('salon list by owner', 'owner', (db) => getDocs(collection(db, 'salons')));
cases.deny('salon list pinned to own id', 'owner', (db) => getDocs(query(collection(db, 'salons'), where('id', '==', 's1'))));
cases.deny('salon create by owner of that salon id', 'owner', (db) => setDoc(doc(db, 'salons/s1_new'), salonDoc('s1_new')));
cases.allow('salon overwrite keeping server-owned fields by owner', 'owner', (db) => setDoc(s1(db), { ...salon, name: 'Mine now', updated_at: NOW() }), fresh);
cases.deny('salon overwrite dropping server-owned fields by owner', 'owner', (db) => {
  const { whatsapp_sender, currency, ...rest } = salon; // eslint-disable-line no-unused-vars
  return setDoc(s1(db), { ...rest, updated_at: NOW() });
}, fresh);
cases.deny('salon delete by owner', 'owner', (db) => deleteDoc(s1(db)), fresh);

const renamed = change({ name: 'Glow & Go' });
cases.allow('salon rename by manager', 'manager', renamed, fresh);
cases.allow('salon rename by owner', 'owner', renamed, fresh);
cases.deny('salon rename by staff', 'staff', renamed, fresh);
cases.denyNonMembers('salon rename', renamed, fresh);
cases.deny('salon rename without updated_at', 'owner', (db) => updateDoc(s1(db), { name: 'X' }), fresh);
cases.deny('salon rename with the client clock', 'owner', (db) => updateDoc(s1(db), { name: 'X', updated_at: fromNow(0) }), fresh);
cases.deny('salon empty name', 'owner', change({ name: '' }), fresh);
cases.deny('salon name not a string', 'owner', change({ name: 42 }), fresh);
cases.allow('salon opening hours by manager', 'manager', change({ opening_hours: { sunday: [{ start: '09:00', end: '13:00' }, { start: '14:00', end: '18:00' }] } }), fresh);
cases.deny('salon opening hours ending before start', 'manager', change({ opening_hours: { monday: [{ start: '19:00', end: '10:00' }] } }), fresh);
cases.deny('salon opening hours overlapping', 'manager', change({ opening_hours: { monday: [{ start: '10:00', end: '14:00' }, { start: '13:00', end: '18:00' }] } }), fresh);
cases.deny('salon opening hours on an unknown day', 'manager', change({ opening_hours: { funday: [] } }), fresh);
cases.deny('salon opening hours badly formatted', 'manager', change({ opening_hours: { monday: [{ start: '10am', end: '7pm' }] } }), fresh);
cases.deny('salon timezone garbage', 'manager', change({ timezone: "'; drop" }), fresh);

const quiet = (promotional, service = salon.quiet_hours.service) => change({ quiet_hours: { service, promotional } });
cases.allow('salon promotional window at the legal edge', 'manager', quiet({ allowed_from: '09:00', allowed_until: '21:00' }), fresh);
cases.deny('salon promotional window before 09:00', 'owner', quiet({ allowed_from: '08:30', allowed_until: '21:00' }), fresh);
cases.deny('salon promotional window after 21:00', 'owner', quiet({ allowed_from: '09:00', allowed_until: '22:00' }), fresh);
cases.deny('salon service window inverted', 'owner', quiet(salon.quiet_hours.promotional, { allowed_from: '21:00', allowed_until: '08:00' }), fresh);

const autonomy = (levels) => change({ autonomy: { ...salon.autonomy, ...levels } });
cases.allow('autonomy gap_fill full_auto by owner', 'owner', autonomy({ gap_fill: 'full_auto' }), fresh);
cases.allow('autonomy discount_offer stricter (manual_only) by owner', 'owner', autonomy({ discount_offer: 'manual_only' }), fresh);
cases.allow('autonomy dynamic_pricing stricter (manual_only) by owner', 'owner', autonomy({ dynamic_pricing: 'manual_only' }), fresh);
cases.allow('autonomy one level by dotted path by owner', 'owner', change({ 'autonomy.waitlist_promotion': 'supervised' }), fresh);
cases.deny('autonomy change by manager', 'manager', autonomy({ gap_fill: 'full_auto' }), fresh);
cases.deny('autonomy change by staff', 'staff', autonomy({ gap_fill: 'manual_only' }), fresh);
cases.deny('autonomy change by dotted path by manager', 'manager', change({ 'autonomy.gap_fill': 'full_auto' }), fresh);
cases.deny('autonomy discount_offer full_auto (below the floor)', 'owner', autonomy({ discount_offer: 'full_auto' }), fresh);
cases.deny('autonomy dynamic_pricing full_auto (below the floor)', 'owner', autonomy({ dynamic_pricing: 'full_auto' }), fresh);
cases.deny('autonomy discount_offer full_auto by dotted path', 'owner', change({ 'autonomy.discount_offer': 'full_auto' }), fresh);
cases.deny('autonomy invented level', 'owner', autonomy({ gap_fill: 'yolo' }), fresh);
cases.deny('autonomy extra key for discounts above 20%', 'owner', autonomy({ discount_offer_above_20: 'full_auto' }), fresh);
cases.deny('autonomy not a map', 'owner', change({ autonomy: 'full_auto' }), fresh);
cases.allow('offers by owner', 'owner', change({ offers: { allowed: true, max_discount_percent: 15 } }), fresh);
cases.deny('offers by manager', 'manager', change({ offers: { allowed: true, max_discount_percent: 15 } }), fresh);
cases.deny('offers discount above 100%', 'owner', change({ offers: { allowed: true, max_discount_percent: 150 } }), fresh);
cases.deny('offers discount as a fraction', 'owner', change({ offers: { allowed: true, max_discount_percent: 12.5 } }), fresh);
const limits = (overrides) => change({ rate_limits: { ...salon.rate_limits, ...overrides } });
cases.allow('rate limits tightened by owner', 'owner', limits({ per_customer_daily: 2 }), fresh);
cases.deny('rate limits per-customer daily loosened', 'owner', limits({ per_customer_daily: 5 }), fresh);
cases.deny('rate limits per-customer hourly loosened', 'owner', limits({ per_customer_hourly: 2 }), fresh);
cases.deny('rate limits by manager', 'manager', limits({ hourly_actions: 10 }), fresh);
cases.deny('holdout share above half', 'owner', change({ holdout_share: 0.9 }), fresh);
cases.deny('holdout share by manager', 'manager', change({ holdout_share: 0.2 }), fresh);
const approver = { name: 'Anita', phone: '+919800000001', role: 'manager', channels: ['whatsapp', 'push'], user_id: 'u_manager', email: null };
cases.allow('approvers set by owner', 'owner', change({ approvers: [approver] }), fresh);
cases.deny('approvers set by manager', 'manager', change({ approvers: [approver] }), fresh);
cases.deny('approver with the staff role', 'owner', change({ approvers: [{ ...approver, role: 'staff' }] }), fresh);
cases.deny('approver with a bad phone', 'owner', change({ approvers: [{ ...approver, phone: '+91123' }] }), fresh);
cases.deny('six approvers', 'owner', change({ approvers: Array(6).fill(approver) }), fresh);
const sid = `HX${'a'.repeat(32)}`;
cases.allow('whatsapp template by owner', 'owner', change({ whatsapp_templates: { gap_fill_offer: sid } }), fresh);
cases.deny('whatsapp template by manager', 'manager', change({ whatsapp_templates: { gap_fill_offer: sid } }), fresh);
cases.deny('whatsapp template not a content sid', 'owner', change({ whatsapp_templates: { gap_fill_offer: 'hello' } }), fresh);
cases.deny('whatsapp template for an unknown intent', 'owner', change({ whatsapp_templates: { spam: sid } }), fresh);
for (const [field, value] of [
  ['currency', 'USD'],
  ['id', 's2'],
  ['created_at', NOW()],
  ['outreach_paused_at', NOW()],
  ['outreach_paused_reason', 'resumed'],
  ['whatsapp_sender', '+919800000009'],
  ['sms_sender_id', 'SALONX'],
  ['owner_uid', 'u_staff'],
]) {
  cases.deny(`salon server-owned field ${field} by owner`, 'owner', change({ [field]: value }), fresh);
}

cases.register();
