// Answering an approval from the PWA: the one write firestore.rules allow (docs/security.md, "Approvals").
//
//   status                 'approved' | 'rejected'            (set by the approver: the backend reacts to it)
//   response.action        'approve'  | 'reject'              (matches status)
//   response.responded_by  the signed-in user's uid
//   response.responded_at  serverTimestamp()                  (must equal request.time)
//   response.notes         optional text, at most 2000 characters
//   updated_at             serverTimestamp()                  (optional; if sent, must equal request.time)
//
// Only an owner or manager, only while the approval is `pending` and `request.time < expires_at`, and nothing
// else may change. The write runs in a transaction that re-reads the approval, so two tabs (or WhatsApp and a
// tab) answering at once give one answer: the loser re-reads, finds it answered and says so.
import { doc, getDoc, runTransaction, serverTimestamp } from 'firebase/firestore';

export class AnswerError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

export function approvalAnswer(uid, status, notes) {
  if (status !== 'approved' && status !== 'rejected') throw new Error(`not an answer: ${status}`);
  const fields = {
    status,
    'response.action': status === 'approved' ? 'approve' : 'reject',
    'response.responded_by': uid,
    'response.responded_at': serverTimestamp(),
    updated_at: serverTimestamp(),
  };
  const note = (notes ?? '').trim();
  if (note) fields['response.notes'] = note.slice(0, 2000);
  return fields;
}

function describeAnswered(approval) {
  const who = approval.response?.responded_by ? ` by ${approval.response.responded_by}` : '';
  const when = approval.response?.responded_at?.toDate
    ? ` at ${approval.response.responded_at.toDate().toLocaleTimeString()}` : '';
  return `Already answered: this approval is ${approval.status}${who}${when}. Nothing was done twice.`;
}

function check(approval, role) {
  if (!approval) return new AnswerError('missing', 'This approval no longer exists.');
  if (approval.status !== 'pending') return new AnswerError('already_answered', describeAnswered(approval));
  if (approval.expires_at && approval.expires_at.toMillis() <= Date.now()) {
    return new AnswerError('expired', 'This approval has expired; the agent will not act on it.');
  }
  if (role !== 'owner' && role !== 'manager') {
    return new AnswerError('forbidden', `Your role (${role ?? 'none'}) cannot answer approvals; owners and managers can.`);
  }
  return null;
}

/** Approve or reject; resolves on success, throws AnswerError with a message fit for the person. */
export async function answerApproval(db, user, role, salonId, approvalId, status, notes) {
  const ref = doc(db, 'salons', salonId, 'approvals', approvalId);
  try {
    await runTransaction(db, async (transaction) => {
      const snap = await transaction.get(ref);
      const problem = check(snap.exists() ? snap.data() : null, role);
      if (problem) throw problem;
      transaction.update(ref, approvalAnswer(user.uid, status, notes));
    });
  } catch (error) {
    if (error instanceof AnswerError) throw error;
    // Refused by the rules or a lost race: say why, from what the approval says now.
    let current = null;
    try {
      const snap = await getDoc(ref);
      current = snap.exists() ? snap.data() : null;
    } catch {
      // cannot read it either: fall through to the generic message
    }
    const problem = current ? check(current, role) : null;
    if (problem) throw problem;
    throw new AnswerError(error.code ?? 'error', `The answer was refused (${error.code ?? 'error'}): ${error.message}`);
  }
}
