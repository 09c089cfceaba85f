// The SDK's protocol beyond allow/deny: realtime updates reach an open listener, field transforms and
// server timestamps round-trip through the Write stream, ordered and paged queries come back in order.
import {
  addDoc, arrayUnion, collection, deleteField, doc, getDoc, getDocs, increment, limit, onSnapshot, orderBy,
  query, serverTimestamp, setDoc, startAfter, updateDoc, where,
} from 'firebase/firestore';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { db, withAdmin } from './harness.mjs';
import { bookingDoc } from './fixtures.mjs';

describe('the SDK protocol', () => {
  it('delivers a booking made by one member to another member’s open listener', async () => {
    const seen = [];
    let unsubscribe;
    const arrived = new Promise((resolve, reject) => {
      unsubscribe = onSnapshot(
        query(collection(db('manager'), 'salons/s1/bookings'), where('status', '==', 'booked')),
        (snapshot) => {
          seen.push(snapshot.docs.map((d) => d.id));
          if (!snapshot.metadata.hasPendingWrites && snapshot.docs.some((d) => d.id === 'realtime_b1')) resolve();
        },
        reject,
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await setDoc(doc(db('staff'), 'salons/s1/bookings/realtime_b1'), bookingDoc('realtime_b1'));
    await arrived;
    unsubscribe();
    assert.ok(seen.length >= 1);
  });

  it('round-trips transforms, deletes of fields and server timestamps through the Write stream', async () => {
    await withAdmin(async (firestore) => {
      const ref = await addDoc(collection(firestore, 'scratch'), { n: 1, tags: ['a'], gone: true, at: serverTimestamp() });
      assert.equal(ref.id.length, 20);
      await updateDoc(ref, { n: increment(2), tags: arrayUnion('b', 'a'), gone: deleteField() });
      const data = (await getDoc(ref)).data();
      assert.equal(data.n, 3);
      assert.deepEqual(data.tags, ['a', 'b']);
      assert.equal('gone' in data, false);
      assert.ok(Math.abs(data.at.toMillis() - Date.now()) < 60_000);
    });
  });

  it('answers ordered, limited and paged queries in order', async () => {
    await withAdmin(async (firestore) => {
      for (const n of [5, 3, 9, 1, 7]) await setDoc(doc(firestore, `ranked/r${n}`), { n });
      const ranked = collection(firestore, 'ranked');
      const first = await getDocs(query(ranked, orderBy('n'), limit(2)));
      assert.deepEqual(first.docs.map((d) => d.data().n), [1, 3]);
      const next = await getDocs(query(ranked, orderBy('n'), startAfter(first.docs[1]), limit(2)));
      assert.deepEqual(next.docs.map((d) => d.data().n), [5, 7]);
    });
  });
});
