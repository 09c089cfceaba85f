// customers, bookings and the waitlist: what staff do all day, with consent records, references and
// lifecycle transitions validated; attribution, offers and promotions stay with the server.
import { collection, collectionGroup, deleteDoc, doc, getDoc, getDocs, query, setDoc, updateDoc, where } from 'firebase/firestore';
import { Cases, MEMBERS } from './harness.mjs';
import { EARLIER, NOW, T, bookingDoc, consentRecord, customerDoc, edited, fromNow, stored, waitlistDoc } from './fixtures.mjs';
import { envelopeAttacks } from './staff_services.mjs';

function readCases(cases, collectionName, existing) {
  for (const who of MEMBERS) {
    cases.allow(`${collectionName} get by ${who}`, who, (db) => getDoc(doc(db, existing)));
    cases.allow(`${collectionName} list by ${who}`, who, (db) => getDocs(collection(db, `salons/s1/${collectionName}`)));
  }
  cases.denyNonMembers(`${collectionName} get`, (db) => getDoc(doc(db, existing)));
  cases.denyNonMembers(`${collectionName} list`, (db) => getDocs(collection(db, `salons/s1/${collectionName}`)));
  cases.deny(`${collectionName} get of another salon by owner of s1`, 'owner', (db) => getDoc(doc(db, existing.replace('salons/s1/', 'salons/s2/'))));
  cases.deny(`${collectionName} collection-group list`, 'multi', (db) =>
    getDocs(query(collectionGroup(db, collectionName), where('salon_id', 'in', ['s1', 's2']))));
}

/** A stored document of its own for one update case. */
function storedCopy(cases, collectionName, factory, overrides = {}) {
  const id = cases.id('st');
  return cases.seed(`salons/s1/${collectionName}/${id}`, { ...stored(factory(id)), ...overrides });
}

// -- customers ---------------------------------------------------------------------------------------------------
const customers = new Cases('salons/{salonId}/customers');
{
  const existing = customers.seed('salons/s1/customers/existing', stored(customerDoc('existing')));
  readCases(customers, 'customers', existing);
  const create = (data) => (db) => setDoc(doc(db, `salons/s1/customers/${data.id}`), data);
  for (const who of MEMBERS) customers.allow(`customer create by ${who}`, who, create(customerDoc(customers.id('new'))));
  customers.denyNonMembers('customer create', create(customerDoc('nm_new')));
  envelopeAttacks(customers, 'customer', 'customers', customerDoc, 'staff');
  for (const [label, changes] of [
    ['phone not E.164', { phone: '09876543210' }],
    ['Indian phone with 9 digits', { phone: '+91987654321' }],
    ['bad email', { email: 'not-an-email' }],
    ['bad language', { language: 'Hindi' }],
    ['inbound timestamp set by the client', { last_inbound_message_at: NOW() }],
    ['consent from an import source', { consent: { whatsapp: { service: consentRecord({ source: 'import' }) } } }],
    ['consent backdated', { consent: { whatsapp: { marketing: consentRecord({ at: EARLIER }) } } }],
    ['consent for an unknown channel', { consent: { pigeon: { service: consentRecord() } } }],
    ['consent for an unknown category', { consent: { sms: { spam: consentRecord() } } }],
    ['consent granted without granted_at', { consent: { sms: { service: { ...consentRecord(), granted_at: null } } } }],
    ['21 tags', { tags: Array.from({ length: 21 }, (_, n) => `t${n}`) }],
  ]) {
    customers.deny(`customer ${label}`, 'staff', create(edited(customerDoc(customers.id('shape')), changes)));
  }
  const withConsent = (id) => ({ ...customerDoc(id), consent: { whatsapp: { service: consentRecord({ at: EARLIER }) } } });
  let path = storedCopy(customers, 'customers', withConsent);
  customers.allow('customer consent revoked by staff', 'staff', (db) =>
    updateDoc(doc(db, path), { 'consent.whatsapp.service': consentRecord({ granted: false, source: 'owner_app' }), updated_at: NOW() }));
  const p2 = storedCopy(customers, 'customers', withConsent);
  customers.allow('customer marketing consent granted in the salon by manager', 'manager', (db) =>
    updateDoc(doc(db, p2), { 'consent.sms': { marketing: consentRecord() }, updated_at: NOW() }));
  const p3 = storedCopy(customers, 'customers', withConsent);
  customers.deny('customer consent record removed', 'owner', (db) => updateDoc(doc(db, p3), { consent: {}, updated_at: NOW() }));
  const p4 = storedCopy(customers, 'customers', withConsent);
  customers.deny('customer consent history rewritten', 'owner', (db) =>
    updateDoc(doc(db, p4), { 'consent.whatsapp.service.granted_at': fromNow(-30 * T.DAY), updated_at: NOW() }));
  const p5 = storedCopy(customers, 'customers', withConsent);
  customers.deny('customer inbound timestamp changed by the client', 'owner', (db) =>
    updateDoc(doc(db, p5), { last_inbound_message_at: NOW(), updated_at: NOW() }));
  path = storedCopy(customers, 'customers', withConsent);
  customers.allow('customer renamed by staff', 'staff', (db) => updateDoc(doc(db, path), { name: 'Priya S.', updated_at: NOW() }));
  customers.denyNonMembers('customer update', (db) => updateDoc(doc(db, existing), { name: 'X', updated_at: NOW() }));
  const erased = storedCopy(customers, 'customers', customerDoc);
  customers.allow('customer erased by owner', 'owner', (db) => deleteDoc(doc(db, erased)));
  customers.deny('customer erased by manager', 'manager', (db) => deleteDoc(doc(db, existing)));
  customers.deny('customer erased by staff', 'staff', (db) => deleteDoc(doc(db, existing)));
  customers.denyNonMembers('customer erased', (db) => deleteDoc(doc(db, existing)));
}
customers.register();

// -- bookings ----------------------------------------------------------------------------------------------------
const bookings = new Cases('salons/{salonId}/bookings');
{
  const existing = bookings.seed('salons/s1/bookings/existing', stored(bookingDoc('existing')));
  readCases(bookings, 'bookings', existing);
  const create = (data) => (db) => setDoc(doc(db, `salons/s1/bookings/${data.id}`), data);
  for (const who of MEMBERS) bookings.allow(`booking create by ${who}`, who, create(bookingDoc(bookings.id('new'))));
  bookings.denyNonMembers('booking create', create(bookingDoc('nm_new')));
  envelopeAttacks(bookings, 'booking', 'bookings', bookingDoc, 'staff');
  for (const [label, changes] of [
    ["for another salon's customer", { customer_id: 'c2' }],
    ['for a missing customer', { customer_id: 'ghost' }],
    ["with another salon's staff member", { staff_id: 'st2' }],
    ["for another salon's service", { service_id: 'sv2' }],
    ['created completed', { status: 'completed' }],
    ['created cancelled', { status: 'cancelled', cancelled_at: NOW() }],
    ['with an invented status', { status: 'vip' }],
    ['pretending to come from an agent', { source: 'agent' }],
    ['claiming a decision for attribution', { decision_id: 'dec1' }],
    ['claiming an outreach for attribution', { outreach_id: 'out1' }],
    ['ending before it starts', { end_time: fromNow(2 * T.DAY - T.MINUTE) }],
    ['of 13 hours', { end_time: fromNow(2 * T.DAY + 13 * T.HOUR) }],
    ['with its time as a string', { start_time: '2024-01-17T10:00:00Z' }],
    ['with a negative price', { price_paise: -1 }],
    ['with an invented confirmation status', { confirmation_status: 'maybe' }],
    ['with notes too long', { notes: 'x'.repeat(2001) }],
  ]) {
    bookings.deny(`booking ${label}`, 'staff', create(edited(bookingDoc(bookings.id('shape')), changes)));
  }
  const transition = (label, who, allowed, storedOverrides, changes, startsIn) => {
    const path = storedCopy(bookings, 'bookings', (id) => bookingDoc(id, 's1', startsIn), storedOverrides);
    const run = (db) => updateDoc(doc(db, path), { ...changes, updated_at: NOW() });
    if (allowed) bookings.allow(`booking ${label}`, who, run);
    else bookings.deny(`booking ${label}`, who, run);
  };
  transition('confirmed by staff', 'staff', true, {}, { status: 'confirmed', confirmation_status: 'confirmed' });
  transition('completed by staff', 'staff', true, {}, { status: 'completed' });
  transition('marked no-show by manager', 'manager', true, {}, { status: 'no_show' });
  transition('cancelled early', 'staff', true, {}, { status: 'cancelled', cancelled_at: NOW(), late_cancellation: false });
  transition('cancelled late and flagged', 'staff', true, {}, { status: 'cancelled', cancelled_at: NOW(), late_cancellation: true }, 3 * T.HOUR);
  transition('cancelled late but not flagged', 'staff', false, {}, { status: 'cancelled', cancelled_at: NOW(), late_cancellation: false }, 3 * T.HOUR);
  transition('cancelled early but flagged late', 'staff', false, {}, { status: 'cancelled', cancelled_at: NOW(), late_cancellation: true });
  transition('cancelled with a backdated time', 'staff', false, {}, { status: 'cancelled', cancelled_at: EARLIER });
  transition('cancelled without cancelled_at', 'staff', false, {}, { status: 'cancelled' });
  transition('reopened after completion', 'staff', false, { status: 'completed' }, { status: 'booked' });
  transition('revived after cancellation', 'owner', false, { status: 'cancelled', cancelled_at: EARLIER }, { status: 'confirmed', cancelled_at: null });
  transition('no-show turned completed', 'manager', false, { status: 'no_show' }, { status: 'completed' });
  transition('attribution rewritten', 'owner', false, {}, { decision_id: 'dec9' });
  transition('source rewritten', 'owner', false, {}, { source: 'online' });
  transition('moved to another stylist of the salon', 'staff', true, { staff_id: 'st1_old' }, { staff_id: 'st1' });
  transition("moved to another salon's stylist", 'staff', false, {}, { staff_id: 'st2' });
  bookings.denyNonMembers('booking update', (db) => updateDoc(doc(db, existing), { status: 'confirmed', updated_at: NOW() }));
  for (const who of MEMBERS) bookings.deny(`booking delete by ${who}`, who, (db) => deleteDoc(doc(db, existing)));
  bookings.denyNonMembers('booking delete', (db) => deleteDoc(doc(db, existing)));
}
bookings.register();

// -- waitlist ----------------------------------------------------------------------------------------------------
const waitlist = new Cases('salons/{salonId}/waitlist');
{
  const existing = waitlist.seed('salons/s1/waitlist/existing', stored(waitlistDoc('existing')));
  readCases(waitlist, 'waitlist', existing);
  const create = (data) => (db) => setDoc(doc(db, `salons/s1/waitlist/${data.id}`), data);
  for (const who of MEMBERS) waitlist.allow(`waitlist create by ${who}`, who, create(waitlistDoc(waitlist.id('new'))));
  waitlist.denyNonMembers('waitlist create', create(waitlistDoc('nm_new')));
  envelopeAttacks(waitlist, 'waitlist', 'waitlist', waitlistDoc, 'staff');
  waitlist.allow('waitlist priority set by manager', 'manager', create(edited(waitlistDoc(waitlist.id('new')), { priority: 50 })));
  for (const [label, who, changes] of [
    ['priority set by staff', 'staff', { priority: 50 }],
    ['priority above 100', 'owner', { priority: 101 }],
    ['created already promoted', 'staff', { status: 'promoted', promoted_booking_id: 'b1' }],
    ['created already offered', 'staff', { status: 'offered', offered_at: NOW() }],
    ["for another salon's customer", 'staff', { customer_id: 'c2' }],
    ["for another salon's service", 'staff', { service_id: 'sv2' }],
    ['expiring before creation', 'staff', { expires_at: fromNow(-T.MINUTE) }],
    ['window reversed', 'staff', { preferred_windows: [{ start: fromNow(T.DAY), end: fromNow(T.DAY) }] }],
  ]) {
    waitlist.deny(`waitlist ${label}`, who, create(edited(waitlistDoc(waitlist.id('shape')), changes)));
  }
  const change = (label, who, allowed, changes, storedOverrides = {}) => {
    const path = storedCopy(waitlist, 'waitlist', waitlistDoc, storedOverrides);
    const run = (db) => updateDoc(doc(db, path), { ...changes, updated_at: NOW() });
    if (allowed) waitlist.allow(`waitlist ${label}`, who, run);
    else waitlist.deny(`waitlist ${label}`, who, run);
  };
  change('cancelled by staff', 'staff', true, { status: 'cancelled' });
  change('offer cancelled by staff', 'staff', true, { status: 'cancelled' }, { status: 'offered', offered_at: EARLIER });
  change('promoted by staff (the agents do it)', 'staff', false, { status: 'promoted', promoted_booking_id: 'b1' });
  change('expired by owner (the agents do it)', 'owner', false, { status: 'expired' });
  change('offered_at set by the client', 'owner', false, { offered_at: NOW() });
  change('priority bumped by staff', 'staff', false, { priority: 99 });
  change('priority bumped by manager', 'manager', true, { priority: 99 });
  change('moved to another customer', 'manager', false, { customer_id: 'c1x' });
  change('revived after cancellation', 'manager', false, { status: 'waiting' }, { status: 'cancelled' });
  waitlist.denyNonMembers('waitlist update', (db) => updateDoc(doc(db, existing), { status: 'cancelled', updated_at: NOW() }));
  const removed = storedCopy(waitlist, 'waitlist', waitlistDoc);
  waitlist.allow('waitlist delete by manager', 'manager', (db) => deleteDoc(doc(db, removed)));
  waitlist.deny('waitlist delete by staff', 'staff', (db) => deleteDoc(doc(db, existing)));
  waitlist.denyNonMembers('waitlist delete', (db) => deleteDoc(doc(db, existing)));
}
waitlist.register();
