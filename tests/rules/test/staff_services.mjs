// staff and services: members read; owners and managers create, edit and remove; the shared envelope
// (id and salon_id from the path, created_at/updated_at = request.time) and each model's shape are enforced.
import { collection, collectionGroup, deleteDoc, doc, getDoc, getDocs, query, setDoc, updateDoc, where } from 'firebase/firestore';
import { Cases, MEMBERS } from './harness.mjs';
import { EARLIER, NOW, T, edited, fromNow, serviceDoc, staffDoc, stored, without } from './fixtures.mjs';

/** Attacks on the envelope every operational document shares. */
export function envelopeAttacks(cases, kind, collectionName, factory, who) {
  const create = (data) => (db) => setDoc(doc(db, `salons/s1/${collectionName}/${data.id}`), data);
  const fresh = (prefix) => factory(cases.id(prefix));
  let d = fresh('env');
  cases.deny(`${kind} create with an id not matching the path`, who, (db) => setDoc(doc(db, `salons/s1/${collectionName}/${d.id}_x`), d));
  d = fresh('env');
  cases.deny(`${kind} create claiming another salon`, who, create(edited(d, { salon_id: 's2' })));
  d = fresh('env');
  cases.deny(`${kind} create without salon_id`, who, create(without(d, 'salon_id')));
  d = fresh('env');
  cases.deny(`${kind} create with a backdated created_at`, who, create(edited(d, { created_at: EARLIER })));
  d = fresh('env');
  cases.deny(`${kind} create with a client updated_at`, who, create(edited(d, { updated_at: fromNow(T.HOUR) })));
  d = fresh('env');
  cases.deny(`${kind} create with an unknown field`, who, create(edited(d, { is_admin: true })));
  for (const [label, changes] of [
    ['moving created_at', { created_at: NOW() }],
    ['moving to another salon', { salon_id: 's2' }],
    ['changing id', { id: 'x' }],
    ['adding an unknown field', { is_admin: true }],
  ]) {
    const path = cases.seed(`salons/s1/${collectionName}/${cases.id('envu')}`, null);
    const id = path.split('/').pop();
    cases.documents[path] = stored(factory(id));
    cases.deny(`${kind} update ${label}`, who, (db) => updateDoc(doc(db, path), { ...changes, updated_at: NOW() }));
  }
  const path = cases.seed(`salons/s1/${collectionName}/${cases.id('envu')}`, null);
  cases.documents[path] = stored(factory(path.split('/').pop()));
  cases.deny(`${kind} update without updated_at`, who, (db) => updateDoc(doc(db, path), { notes: 'x' }));
}

function managedCollection(title, collectionName, factory, shapeAttacks, validUpdate) {
  const cases = new Cases(title);
  const existing = cases.seed(`salons/s1/${collectionName}/existing`, stored(factory('existing')));
  for (const who of MEMBERS) {
    cases.allow(`${collectionName} get by ${who}`, who, (db) => getDoc(doc(db, existing)));
    cases.allow(`${collectionName} list by ${who}`, who, (db) => getDocs(collection(db, `salons/s1/${collectionName}`)));
  }
  cases.denyNonMembers(`${collectionName} get`, (db) => getDoc(doc(db, existing)));
  cases.denyNonMembers(`${collectionName} list`, (db) => getDocs(collection(db, `salons/s1/${collectionName}`)));
  cases.deny(`${collectionName} list of another salon`, 'owner', (db) => getDocs(collection(db, `salons/s2/${collectionName}`)));
  cases.deny(`${collectionName} collection-group list`, 'multi', (db) => getDocs(query(collectionGroup(db, collectionName), where('salon_id', '==', 's1'))));

  const create = (who, data) => (db) => setDoc(doc(db, `salons/s1/${collectionName}/${data.id}`), data);
  for (const who of ['owner', 'manager']) cases.allow(`${collectionName} create by ${who}`, who, create(who, factory(cases.id('new'))));
  cases.deny(`${collectionName} create by staff`, 'staff', create('staff', factory(cases.id('new'))));
  cases.denyNonMembers(`${collectionName} create`, create('x', factory('nm_new')));
  const foreign = factory(cases.id('new'), 's2');
  cases.deny(`${collectionName} create in another salon by owner of s1`, 'owner', (db) => setDoc(doc(db, `salons/s2/${collectionName}/${foreign.id}`), foreign));
  envelopeAttacks(cases, collectionName, collectionName, factory, 'manager');
  for (const [label, changes] of shapeAttacks) {
    const data = factory(cases.id('shape'));
    cases.deny(`${collectionName} ${label}`, 'manager', create('manager', typeof changes === 'function' ? changes(data) : edited(data, changes)));
  }

  const update = (path) => (db) => updateDoc(doc(db, path), { ...validUpdate, updated_at: NOW() });
  for (const who of ['owner', 'manager']) {
    const path = cases.seed(`salons/s1/${collectionName}/${cases.id('upd')}`, null);
    cases.documents[path] = stored(factory(path.split('/').pop()));
    cases.allow(`${collectionName} update by ${who}`, who, update(path));
  }
  cases.deny(`${collectionName} update by staff`, 'staff', update(existing));
  cases.denyNonMembers(`${collectionName} update`, update(existing));
  for (const who of ['owner', 'manager']) {
    const path = cases.seed(`salons/s1/${collectionName}/${cases.id('del')}`, null);
    cases.documents[path] = stored(factory(path.split('/').pop()));
    cases.allow(`${collectionName} delete by ${who}`, who, (db) => deleteDoc(doc(db, path)));
  }
  cases.deny(`${collectionName} delete by staff`, 'staff', (db) => deleteDoc(doc(db, existing)));
  cases.denyNonMembers(`${collectionName} delete`, (db) => deleteDoc(doc(db, existing)));
  return cases;
}

const leave = { start: fromNow(7 * T.DAY), end: fromNow(9 * T.DAY), reason: 'wedding' };
const staff = managedCollection(
  'salons/{salonId}/staff',
  'staff',
  staffDoc,
  [
    ['empty name', { name: '' }],
    ['bad phone', { phone: '98765' }],
    ['hours on an unknown day', { working_hours: { someday: [] } }],
    ['hours not a list', { working_hours: { monday: { start: '10:00', end: '19:00' } } }],
    ['four shifts a day', { working_hours: { monday: [9, 10, 11, 12].map((h) => ({ start: `${String(h).padStart(2, '0')}:00`, end: `${String(h).padStart(2, '0')}:30` })) } }],
    ['leave ending before it starts', { leave: [{ start: fromNow(T.DAY), end: fromNow(0) }] }],
    ['leave as strings', { leave: [{ start: '2024-01-20', end: '2024-01-21' }] }],
    ['six leave entries', { leave: Array(6).fill(leave) }],
    ['service id with a slash', { service_ids: ['sv1/../x'] }],
    ['service ids not strings', { service_ids: [1, 2] }],
    ['duplicate service ids', { service_ids: ['sv1', 'sv1'] }],
    ['active not a bool', { active: 'yes' }],
  ],
  { active: false },
);
staff.allow('staff minimal create', 'manager', (db) => {
  const data = staffDoc(staff.id('min'));
  const minimal = Object.fromEntries(['id', 'salon_id', 'name', 'created_at', 'updated_at'].map((k) => [k, data[k]]));
  return setDoc(doc(db, `salons/s1/staff/${data.id}`), minimal);
});
staff.register();

const services = managedCollection(
  'salons/{salonId}/services',
  'services',
  serviceDoc,
  [
    ['negative price', { price_paise: -100 }],
    ['fractional price', { price_paise: 499.5 }],
    ['price as text', { price_paise: '500' }],
    ['cost above price', { cost_paise: 60000 }],
    ['zero duration', { duration_minutes: 0 }],
    ['13-hour duration', { duration_minutes: 780 }],
    ['without price', (data) => without(data, 'price_paise')],
    ['add-on flag not a bool', { is_add_on: 'no' }],
  ],
  { price_paise: 55000 },
);
services.register();
