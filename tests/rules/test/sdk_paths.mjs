// The same rules through every path the SDK has to the server: realtime listeners, count aggregations,
// atomic batches and transactions (whose reads and verify writes are checked too).
import {
  collection, collectionGroup, doc, getCountFromServer, getDoc, query, runTransaction, where, writeBatch,
} from 'firebase/firestore';
import assert from 'node:assert/strict';
import { Cases, NON_MEMBERS, firstSnapshot, peek } from './harness.mjs';
import { NOW, approvalDoc, bookingDoc, response, serviceDoc, stored } from './fixtures.mjs';

const cases = new Cases('listeners, aggregations, batches and transactions');
const booking = cases.seed('salons/s1/bookings/listened', stored(bookingDoc('listened')));

// -- listeners (onSnapshot) ---------------------------------------------------------------------------------------
cases.allow('document listener by staff', 'staff', (db) => firstSnapshot(doc(db, booking)));
for (const who of NON_MEMBERS) cases.deny(`document listener by ${who}`, who, (db) => firstSnapshot(doc(db, booking)));
cases.allow('query listener by staff', 'staff', (db) => firstSnapshot(query(collection(db, 'salons/s1/bookings'), where('status', '==', 'booked'))));
for (const who of NON_MEMBERS) {
  cases.deny(`query listener by ${who}`, who, (db) => firstSnapshot(collection(db, 'salons/s1/bookings')));
}
cases.deny('audit log listener by staff', 'staff', (db) => firstSnapshot(collection(db, 'salons/s1/audit_logs')));
cases.allow('collection-group approvals listener pinned to the salon', 'manager', (db) =>
  firstSnapshot(query(collectionGroup(db, 'approvals'), where('salon_id', '==', 's1'), where('status', '==', 'pending'))));
cases.deny('collection-group approvals listener without the salon', 'manager', (db) =>
  firstSnapshot(query(collectionGroup(db, 'approvals'), where('status', '==', 'pending'))));
cases.deny('collection-group approvals listener pinned to a foreign salon', 'manager', (db) =>
  firstSnapshot(query(collectionGroup(db, 'approvals'), where('salon_id', '==', 's2'))));

// -- aggregations (RunAggregationQuery) ----------------------------------------------------------------------------
cases.allow('booking count by staff', 'staff', (db) => getCountFromServer(collection(db, 'salons/s1/bookings')));
for (const who of NON_MEMBERS) cases.deny(`booking count by ${who}`, who, (db) => getCountFromServer(collection(db, 'salons/s1/bookings')));
cases.deny('audit log count by staff', 'staff', (db) => getCountFromServer(collection(db, 'salons/s1/audit_logs')));
cases.allow('collection-group approval count pinned to the salon', 'owner', (db) =>
  getCountFromServer(query(collectionGroup(db, 'approvals'), where('salon_id', '==', 's1'))));
cases.deny('collection-group approval count without the salon', 'owner', (db) => getCountFromServer(collectionGroup(db, 'approvals')));

// -- batches: all or nothing ---------------------------------------------------------------------------------------
cases.allow('batch of two service creates by manager', 'manager', (db) => {
  const batch = writeBatch(db);
  for (const id of ['batch_sv_a', 'batch_sv_b']) batch.set(doc(db, `salons/s1/services/${id}`), serviceDoc(id));
  return batch.commit();
});
cases.deny('batch hiding an audit log edit behind a valid booking', 'staff', (db) => {
  const batch = writeBatch(db);
  batch.set(doc(db, 'salons/s1/bookings/batch_b1'), bookingDoc('batch_b1'));
  batch.update(doc(db, 'salons/s1/audit_logs/doc1'), { status: 'erased' });
  return batch.commit();
}, { check: async () => assert.deepEqual(await peek(['salons/s1/bookings/batch_b1']), [null]) });
cases.deny('batch writing into two salons by owner of one', 'owner', (db) => {
  const batch = writeBatch(db);
  batch.set(doc(db, 'salons/s1/services/batch_sv_c'), serviceDoc('batch_sv_c'));
  batch.set(doc(db, 'salons/s2/services/batch_sv_c'), serviceDoc('batch_sv_c', 's2'));
  return batch.commit();
}, { check: async () => assert.deepEqual(await peek(['salons/s1/services/batch_sv_c']), [null]) });

// -- transactions: reads are gets, unwritten reads are verify writes -------------------------------------------------
cases.seed('salons/s1/approvals/txn_ok', approvalDoc('txn_ok'));
cases.seed('salons/s1/approvals/txn_staff', approvalDoc('txn_staff'));
cases.allow('transaction reading the salon and booking (verify write) by manager', 'manager', (db) =>
  runTransaction(db, async (transaction) => {
    const salon = await transaction.get(doc(db, 'salons/s1'));
    assert.equal(salon.data().id, 's1');
    transaction.set(doc(db, 'salons/s1/bookings/txn_b1'), bookingDoc('txn_b1'));
  }));
cases.allow('transaction approving a pending approval by owner', 'owner', (db) =>
  runTransaction(db, async (transaction) => {
    const ref = doc(db, 'salons/s1/approvals/txn_ok');
    const approval = await transaction.get(ref);
    assert.equal(approval.data().status, 'pending');
    transaction.update(ref, response('u_owner'));
  }));
cases.deny('transaction approving by staff', 'staff', (db) =>
  runTransaction(db, async (transaction) => {
    const ref = doc(db, 'salons/s1/approvals/txn_staff');
    await transaction.get(ref);
    transaction.update(ref, response('u_staff'));
  }));
cases.deny('transaction reading another salon by outsider', 'outsider', (db) =>
  runTransaction(db, async (transaction) => {
    await transaction.get(doc(db, booking));
  }));
cases.deny('transaction booking into s1 after reading its own salon by outsider', 'outsider', (db) =>
  runTransaction(db, async (transaction) => {
    await transaction.get(doc(db, 'salons/s2'));
    transaction.set(doc(db, 'salons/s1/bookings/txn_b2'), { ...bookingDoc('txn_b2'), created_at: NOW() });
  }));
cases.deny('document read by anonymous through getDoc', 'anonymous', (db) => getDoc(doc(db, 'salons/s1/approvals/txn_ok')));

cases.register();
