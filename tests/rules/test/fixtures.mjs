// Documents as the server stores them (mirrors shared/salonflow/domain and tests/unit/rules/rules_fixtures.py).
// Times are real: the rules compare them with request.time, which is the commit time.
import { FieldValue, Timestamp, serverTimestamp } from 'firebase/firestore';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const fromNow = (ms) => Timestamp.fromMillis(Date.now() + ms);
export const EARLIER = Timestamp.fromMillis(Date.now() - 3 * DAY);
export const NOW = serverTimestamp; // what the PWA writes where the rules demand request.time
export const T = { MINUTE, HOUR, DAY };

export const edited = (data, changes) => ({ ...data, ...changes }); // shallow: nested values are never mutated
export const without = (data, ...keys) => Object.fromEntries(Object.entries(data).filter(([key]) => !keys.includes(key)));

/** A stored copy of a create's data: server timestamps (at any depth) replaced by an earlier moment. */
export function stored(data) {
  if (data instanceof FieldValue) return EARLIER;
  if (Array.isArray(data)) return data.map(stored);
  if (data !== null && typeof data === 'object' && Object.getPrototypeOf(data) === Object.prototype) {
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, stored(value)]));
  }
  return data;
}

export function salonDoc(salonId = 's1') {
  return {
    id: salonId,
    name: 'Glow Studio',
    timezone: 'Asia/Kolkata',
    currency: 'INR',
    opening_hours: { monday: [{ start: '10:00', end: '19:00' }] },
    autonomy: {
      gap_fill: 'supervised',
      no_show_prevention: 'full_auto',
      waitlist_promotion: 'full_auto',
      discount_offer: 'supervised',
      dynamic_pricing: 'supervised',
    },
    quiet_hours: {
      service: { allowed_from: '08:00', allowed_until: '21:00' },
      promotional: { allowed_from: '10:00', allowed_until: '20:00' },
    },
    rate_limits: { hourly_actions: null, daily_actions: null, per_customer_hourly: null, per_customer_daily: null },
    approvers: [],
    whatsapp_templates: {},
    whatsapp_sender: null,
    sms_sender_id: null,
    holdout_share: 0.1,
    offers: { allowed: true, max_discount_percent: 20 },
    outreach_paused_at: null,
    outreach_paused_reason: null,
    created_at: EARLIER,
    updated_at: EARLIER,
  };
}

export function staffDoc(staffId, salonId = 's1') {
  return {
    id: staffId,
    salon_id: salonId,
    name: 'Rahul Kumar',
    phone: '+919876543210',
    working_hours: {
      monday: [{ start: '10:00', end: '14:00' }, { start: '15:00', end: '19:00' }],
      tuesday: [{ start: '10:00', end: '19:00' }],
    },
    breaks: { tuesday: [{ start: '13:00', end: '13:30' }] },
    leave: [{ start: fromNow(7 * DAY), end: fromNow(9 * DAY), reason: 'wedding' }],
    service_ids: ['sv1', 'sv_2'],
    active: true,
    created_at: NOW(),
    updated_at: NOW(),
  };
}

export function serviceDoc(serviceId, salonId = 's1') {
  return {
    id: serviceId,
    salon_id: salonId,
    name: 'Haircut',
    category: 'hair',
    duration_minutes: 45,
    price_paise: 50000,
    cost_paise: 10000,
    staff_ids: ['st1'],
    is_add_on: false,
    active: true,
    created_at: NOW(),
    updated_at: NOW(),
  };
}

export function consentRecord({ granted = true, source = 'in_salon', at = NOW() } = {}) {
  return {
    granted,
    granted_at: granted ? at : EARLIER,
    revoked_at: granted ? null : at,
    source,
    updated_at: at,
  };
}

export function customerDoc(customerId, salonId = 's1') {
  return {
    id: customerId,
    salon_id: salonId,
    name: 'Priya Sharma',
    phone: '+919812345678',
    email: 'priya@example.com',
    language: 'hi',
    consent: { whatsapp: { service: consentRecord() } },
    last_inbound_message_at: null,
    tags: ['vip'],
    notes: null,
    created_at: NOW(),
    updated_at: NOW(),
  };
}

export function bookingDoc(bookingId, salonId = 's1', startsIn = 2 * DAY) {
  return {
    id: bookingId,
    salon_id: salonId,
    customer_id: salonId === 's1' ? 'c1' : 'c2',
    staff_id: salonId === 's1' ? 'st1' : 'st2',
    service_id: salonId === 's1' ? 'sv1' : 'sv2',
    start_time: fromNow(startsIn),
    end_time: fromNow(startsIn + 45 * MINUTE),
    status: 'booked',
    price_paise: 50000,
    discount_paise: 0,
    source: 'phone',
    confirmation_status: 'not_requested',
    late_cancellation: false,
    cancelled_at: null,
    decision_id: null,
    outreach_id: null,
    notes: null,
    created_at: NOW(),
    updated_at: NOW(),
  };
}

export function waitlistDoc(entryId, salonId = 's1') {
  return {
    id: entryId,
    salon_id: salonId,
    customer_id: salonId === 's1' ? 'c1' : 'c2',
    service_id: salonId === 's1' ? 'sv1' : 'sv2',
    preferred_staff_ids: ['st1'],
    preferred_windows: [{ start: fromNow(DAY), end: fromNow(DAY + 3 * HOUR) }],
    priority: 0,
    status: 'waiting',
    offered_at: null,
    promoted_booking_id: null,
    notes: null,
    created_at: NOW(),
    updated_at: NOW(),
    expires_at: fromNow(7 * DAY),
  };
}

export function approvalDoc(approvalId, salonId = 's1', expiresIn = 10 * MINUTE) {
  return {
    id: approvalId,
    salon_id: salonId,
    decision_id: 'dec1',
    agent_name: 'gap_fill_agent',
    action_type: 'gap_fill',
    action_summary: 'Fill 60-min gap with VIP customer Priya',
    action_details: { gap_id: 'gap1', customer_id: 'c1', potential_revenue: 500 },
    priority: 'medium',
    status: 'pending',
    expires_at: fromNow(expiresIn),
    notifications_sent: { whatsapp: true, push: true, email: false },
    response: { action: null, responded_by: null, responded_at: null, notes: null },
    created_at: EARLIER,
    updated_at: EARLIER,
  };
}

/** The fields an approval response writes (status, response, updated_at), as the PWA sends them. */
export function response(uid, status = 'approved', extra = {}) {
  return {
    status,
    response: {
      action: status === 'approved' ? 'approve' : 'reject',
      responded_by: uid,
      responded_at: NOW(),
      notes: null,
      ...extra,
    },
    updated_at: NOW(),
  };
}

/** Documents every group relies on: two salons and the records bookings and waitlist entries reference. */
export function baseline() {
  return {
    'salons/s1': salonDoc('s1'),
    'salons/s2': salonDoc('s2'),
    'salons/s1/customers/c1': stored(customerDoc('c1')),
    'salons/s1/staff/st1': stored(staffDoc('st1')),
    'salons/s1/services/sv1': stored(serviceDoc('sv1')),
    'salons/s2/customers/c2': stored(customerDoc('c2', 's2')),
    'salons/s2/staff/st2': stored(staffDoc('st2', 's2')),
    'salons/s2/services/sv2': stored(serviceDoc('sv2', 's2')),
  };
}
