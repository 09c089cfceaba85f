// Deny by default: paths the rules do not name are closed to every client, members and owners included.
import { collection, collectionGroup, doc, getDoc, getDocs, query, setDoc, where } from 'firebase/firestore';
import { Cases } from './harness.mjs';

const cases = new Cases('everything else is denied');
cases.seed('users/u_owner', { salon_roles: { s1: 'owner' } });
cases.seed('salons/s1/secrets/x', { a: 1 });
cases.seed('salons/s1/approvals/existing/replies/r1', { a: 1 });
for (const who of ['owner', 'anonymous', 'noClaim']) {
  cases.deny(`root collection read by ${who}`, who, (db) => getDoc(doc(db, 'users/u_owner')));
  cases.deny(`root collection write by ${who}`, who, (db) => setDoc(doc(db, `users/${who}`), { salon_roles: { s2: 'owner' } }));
  cases.deny(`unknown salon subcollection read by ${who}`, who, (db) => getDoc(doc(db, 'salons/s1/secrets/x')));
  cases.deny(`unknown salon subcollection list by ${who}`, who, (db) => getDocs(collection(db, 'salons/s1/secrets')));
  cases.deny(`unknown salon subcollection write by ${who}`, who, (db) => setDoc(doc(db, 'salons/s1/secrets/y'), { a: 1 }));
  cases.deny(`nested under approvals read by ${who}`, who, (db) => getDoc(doc(db, 'salons/s1/approvals/existing/replies/r1')));
  cases.deny(`nested under approvals write by ${who}`, who, (db) => setDoc(doc(db, 'salons/s1/approvals/existing/replies/r2'), { a: 1 }));
  cases.deny(`root list of salons by ${who}`, who, (db) => getDocs(collection(db, 'salons')));
  cases.deny(`customers collection group by ${who}`, who, (db) => getDocs(query(collectionGroup(db, 'customers'), where('salon_id', '==', 's1'))));
}
cases.deny('outsider reads a booking of s1', 'outsider', (db) => getDoc(doc(db, 'salons/s1/bookings/existing')));
cases.register();
