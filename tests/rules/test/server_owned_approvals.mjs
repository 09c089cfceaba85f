// Server-owned collections (read by members, written by nobody) and approvals (owners and managers respond to
// a pending, unexpired approval in their own name; collection-group queries must prove the salon).
import { collection, collectionGroup, deleteDoc, doc, getDoc, getDocs, query, runTransaction, setDoc, updateDoc, where } from 'firebase/firestore';
import { Cases, MEMBERS, uidOf } from './harness.mjs';
import { EARLIER, NOW, T, approvalDoc, fromNow, response } from './fixtures.mjs';

// -- server-owned --------------------------------------------------------------------------------------------------
const SERVER_OWNED = {
  autonomous_decisions: ['owner', 'manager', 'staff'],
  customer_scores: ['owner', 'manager', 'staff'],
  gaps: ['owner', 'manager', 'staff'],
  outreach: ['owner', 'manager', 'staff'],
  agent_states: ['owner', 'manager'],
  autonomy_standings: ['owner', 'manager'],
  audit_logs: ['owner', 'manager'],
};
const serverOwned = new Cases('server-owned collections');
for (const [name, readers] of Object.entries(SERVER_OWNED)) {
  const record = { id: 'doc1', salon_id: 's1', status: 'pending', created_at: EARLIER };
  const path = serverOwned.seed(`salons/s1/${name}/doc1`, record);
  serverOwned.seed(`salons/s2/${name}/doc1`, { ...record, salon_id: 's2' });
  for (const who of MEMBERS) {
    const read = readers.includes(who) ? 'allow' : 'deny';
    serverOwned[read](`${name} get by ${who}`, who, (db) => getDoc(doc(db, path)));
    serverOwned[read](`${name} list by ${who}`, who, (db) => getDocs(collection(db, `salons/s1/${name}`)));
    serverOwned.deny(`${name} create by ${who}`, who, (db) => setDoc(doc(db, `salons/s1/${name}/new_${who}`), { ...record, created_at: NOW() }));
    serverOwned.deny(`${name} update by ${who}`, who, (db) => updateDoc(doc(db, path), { status: 'success' }));
    serverOwned.deny(`${name} delete by ${who}`, who, (db) => deleteDoc(doc(db, path)));
  }
  serverOwned.denyNonMembers(`${name} get`, (db) => getDoc(doc(db, path)));
  serverOwned.denyNonMembers(`${name} list`, (db) => getDocs(collection(db, `salons/s1/${name}`)));
  serverOwned.denyNonMembers(`${name} create`, (db) => setDoc(doc(db, `salons/s1/${name}/new_nm`), { ...record, created_at: NOW() }));
  serverOwned.deny(`${name} read of another salon by owner of s1`, 'owner', (db) => getDoc(doc(db, `salons/s2/${name}/doc1`)));
  serverOwned.deny(`${name} collection-group list`, 'multi', (db) => getDocs(query(collectionGroup(db, name), where('salon_id', '==', 's1'))));
}
serverOwned.register();

// -- approvals -----------------------------------------------------------------------------------------------------
const approvals = new Cases('salons/{salonId}/approvals');
{
  const existing = approvals.seed('salons/s1/approvals/existing', approvalDoc('existing'));
  approvals.seed('salons/s2/approvals/existing', approvalDoc('existing', 's2'));
  const pending = (overrides = {}, salonId = 's1') => {
    const id = approvals.id('apr');
    return approvals.seed(`salons/${salonId}/approvals/${id}`, { ...approvalDoc(id, salonId), ...overrides });
  };
  const respond = (path, fields) => (db) => updateDoc(doc(db, path), fields);
  for (const who of MEMBERS) {
    approvals.allow(`approval get by ${who}`, who, (db) => getDoc(doc(db, existing)));
    approvals.allow(`approval list of pending by ${who}`, who, (db) =>
      getDocs(query(collection(db, 'salons/s1/approvals'), where('status', '==', 'pending'))));
  }
  approvals.denyNonMembers('approval get', (db) => getDoc(doc(db, existing)));
  approvals.denyNonMembers('approval list', (db) => getDocs(collection(db, 'salons/s1/approvals')));
  approvals.deny('approval list of another salon', 'owner', (db) => getDocs(collection(db, 'salons/s2/approvals')));

  for (const who of ['owner', 'manager']) {
    approvals.allow(`approval approved by ${who}`, who, respond(pending(), response(uidOf(who))));
    approvals.allow(`approval rejected by ${who}`, who, respond(pending(), response(uidOf(who), 'rejected')));
  }
  const p = pending();
  approvals.allow('approval approved with notes', 'owner', respond(p, response('u_owner', 'approved', { notes: 'Go ahead' })));
  approvals.deny('approval approved by staff', 'staff', respond(existing, response('u_staff')));
  approvals.denyNonMembers('approval approved', (db, who) => respond(existing, response(who === 'anonymous' ? 'nobody' : 'u_outsider'))(db));
  approvals.deny('approval of another salon by owner of s1', 'owner', respond('salons/s2/approvals/existing', response('u_owner')));
  approvals.deny('approval approved after expiry', 'owner', respond(pending({ expires_at: fromNow(-T.MINUTE) }), response('u_owner')));
  approvals.deny('approval approved one second after expiry', 'owner', respond(pending({ expires_at: fromNow(-1000) }), response('u_owner')));
  for (const status of ['approved', 'rejected', 'expired', 'cancelled']) {
    approvals.deny(`approval from ${status} to approved`, 'owner', respond(pending({ status }), response('u_owner')));
    approvals.deny(`approval from ${status} to rejected`, 'owner', respond(pending({ status }), response('u_owner', 'rejected')));
  }
  for (const status of ['expired', 'cancelled', 'pending']) {
    approvals.deny(`approval set to ${status} by owner`, 'owner', respond(pending(), { ...response('u_owner'), status }));
  }
  approvals.deny("approval responded in someone else's name", 'owner', respond(pending(), response('u_manager')));
  approvals.deny('approval with a backdated response', 'owner', respond(pending(), response('u_owner', 'approved', { responded_at: fromNow(-T.MINUTE) })));
  approvals.deny('approval approved with a reject action', 'owner', respond(pending(), response('u_owner', 'approved', { action: 'reject' })));
  for (const [field, value] of [
    ['action_details', { discount_percent: 50 }],
    ['action_summary', 'Give everyone 90% off'],
    ['expires_at', fromNow(T.DAY)],
    ['priority', 'low'],
    ['decision_id', 'dec9'],
    ['salon_id', 's2'],
    ['notifications_sent', {}],
  ]) {
    approvals.deny(`approval response also changing ${field}`, 'owner', respond(pending(), { ...response('u_owner'), [field]: value }));
  }
  // The natural answers from the spec's fields, as a PWA writes them (docs/security.md, "Approvals").
  approvals.allow('approval response leaving updated_at alone', 'owner', respond(pending(), { status: 'approved', response: response('u_owner').response }));
  const dotted = (uid, status = 'approved', extra = {}) => ({
    status,
    'response.action': status === 'approved' ? 'approve' : 'reject',
    'response.responded_by': uid,
    'response.responded_at': NOW(),
    updated_at: NOW(),
    ...extra,
  });
  approvals.allow('approval approved with dotted response fields', 'owner', respond(pending(), dotted('u_owner')));
  approvals.allow('approval rejected with dotted fields and a note', 'manager', respond(pending(), dotted('u_manager', 'rejected', { 'response.notes': 'Not this one' })));
  const inTransaction = pending();
  approvals.allow('approval approved in a transaction that re-reads it', 'owner', (db) => runTransaction(db, async (transaction) => {
    const ref = doc(db, inTransaction);
    const snap = await transaction.get(ref);
    if (snap.data().status !== 'pending') throw new Error('already answered');
    transaction.update(ref, dotted('u_owner'));
  }));
  approvals.deny('approval response with a client-clock updated_at', 'owner', respond(pending(), { ...response('u_owner'), updated_at: fromNow(-2000) }));
  approvals.deny('approval response without a status change', 'owner', respond(pending(), { response: response('u_owner').response, updated_at: NOW() }));
  approvals.deny('approval dotted response without a status change', 'owner', respond(pending(), (({ status, ...rest }) => rest)(dotted('u_owner'))));
  approvals.deny('approval status change without a response', 'owner', respond(pending(), { status: 'approved', updated_at: NOW() }));
  for (const word of ['approved', 'APPROVE', 'yes']) {
    approvals.deny(`approval response with action '${word}'`, 'owner', respond(pending(), dotted('u_owner', 'approved', { 'response.action': word })));
  }
  approvals.deny('approval response with a client-clock responded_at', 'owner', respond(pending(), dotted('u_owner', 'approved', { 'response.responded_at': fromNow(-2000) })));
  approvals.deny('approval response with an ISO-string responded_at', 'owner', respond(pending(), dotted('u_owner', 'approved', { 'response.responded_at': new Date().toISOString() })));
  const twice = pending();
  approvals.deny('approval answered twice (second answer on an approved approval)', 'owner', async (db) => {
    const path = twice;
    await updateDoc(doc(db, path), dotted('u_owner'));
    await updateDoc(doc(db, path), dotted('u_owner', 'rejected'));
  });
  approvals.deny('approval response with an extra key', 'owner', respond(pending(), response('u_owner', 'approved', { via: 'hack' })));
  approvals.deny('approval response notes too long', 'owner', respond(pending(), response('u_owner', 'approved', { notes: 'x'.repeat(2001) })));
  const anonymousResponse = response('u_owner');
  delete anonymousResponse.response.responded_by;
  approvals.deny('approval response without responded_by', 'owner', respond(pending(), anonymousResponse));
  for (const who of MEMBERS) {
    approvals.deny(`approval create by ${who}`, who, (db) => setDoc(doc(db, `salons/s1/approvals/new_${who}`), approvalDoc(`new_${who}`)));
    approvals.deny(`approval delete by ${who}`, who, (db) => deleteDoc(doc(db, existing)));
  }

  // Collection-group queries across salons: the salon must be pinned by salon_id (== or in).
  const group = (...constraints) => (db) => getDocs(query(collectionGroup(db, 'approvals'), ...constraints));
  approvals.allow('pending approvals across the own salon', 'owner', group(where('salon_id', '==', 's1'), where('status', '==', 'pending')));
  approvals.allow('pending approvals across both salons of a multi-salon user', 'multi',
    group(where('salon_id', 'in', ['s1', 's2']), where('status', '==', 'pending')));
  approvals.deny('approvals group query without a salon constraint', 'owner', group(where('status', '==', 'pending')));
  approvals.deny('approvals group query with no constraint at all', 'owner', group());
  approvals.deny('approvals group query including a foreign salon', 'owner', group(where('salon_id', 'in', ['s1', 's2'])));
  approvals.deny('approvals group query for a foreign salon', 'owner', group(where('salon_id', '==', 's2')));
  approvals.deny('approvals group query with a salon inequality', 'owner', group(where('salon_id', '>=', 's1')));
  approvals.deny('approvals group query with salon not-in', 'owner', group(where('salon_id', 'not-in', ['s2'])));
  approvals.deny('approvals group query with salon !=', 'owner', group(where('salon_id', '!=', 's2')));
  for (const who of ['anonymous', 'outsider', 'noClaim', 'wrongRole', 'claimNotMap']) {
    approvals.deny(`approvals group query pinned to s1 by ${who}`, who, group(where('salon_id', '==', 's1')));
  }
}
approvals.register();
