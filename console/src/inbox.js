// Page 1: the approval inbox — pending approvals of the salon, most urgent and newest first, live.
import { collection, onSnapshot, query, where } from 'firebase/firestore';
import { AnswerError, answerApproval } from './answer.js';
import { PRIORITY_RANK, countdown, escapeHtml, rupees, toMillis } from './format.js';

// When each approval first appeared in this page (epoch ms): the latency probe reads it.
window.__approvalSeenAt = window.__approvalSeenAt || {};

export function renderInbox(ctx, root) {
  const { db, salonId, role } = ctx;
  const canAnswer = role === 'owner' || role === 'manager';
  root.innerHTML = `
    <section class="page" data-testid="inbox">
      <h2>Approval inbox</h2>
      <p class="hint">${canAnswer
        ? 'Agents ask before they act on these. Answer here, on WhatsApp or through the API: every open tab updates.'
        : role ? `Your role (${escapeHtml(role)}) can see approvals; only owners and managers answer them.`
          : 'You have no role in this salon.'}</p>
      <div class="notices" data-testid="notices"></div>
      <p class="status" data-testid="inbox-status">Loading…</p>
      <ul class="approvals" data-testid="approvals"></ul>
    </section>`;
  const list = root.querySelector('[data-testid="approvals"]');
  const status = root.querySelector('[data-testid="inbox-status"]');
  const notices = root.querySelector('[data-testid="notices"]');
  let approvals = [];

  const notice = (kind, text) => {
    const item = document.createElement('p');
    item.className = `notice ${kind}`;
    item.dataset.testid = `notice-${kind}`;
    item.textContent = text;
    notices.prepend(item);
  };

  const draw = () => {
    const now = Date.now();
    status.textContent = approvals.length === 0 ? 'Nothing waiting for you.' : `${approvals.length} waiting`;
    const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
    for (const [index, approval] of approvals.entries()) {
      let li = existing.get(approval.id);
      if (!li) {
        li = document.createElement('li');
        li.className = `approval priority-${approval.priority}`;
        li.dataset.id = approval.id;
        li.dataset.testid = 'approval';
        li.dataset.seenAt = String(window.__approvalSeenAt[approval.id] ?? '');
        const details = approval.action_details ?? {};
        li.innerHTML = `
          <div class="approval-main">
            <span class="badge">${escapeHtml(approval.priority)}</span>
            <span class="summary" data-testid="summary">${escapeHtml(approval.action_summary)}</span>
          </div>
          <dl class="facts">
            <dt>Customer</dt><dd data-testid="customer">${escapeHtml(details.customer_name ?? details.customer_id ?? '—')}</dd>
            <dt>Slot</dt><dd data-testid="slot">${escapeHtml(details.time_slot ?? '—')}${details.staff_name ? ` with ${escapeHtml(details.staff_name)}` : ''}</dd>
            <dt>Revenue</dt><dd data-testid="revenue">${rupees(details.potential_revenue)}</dd>
            <dt>Agent</dt><dd>${escapeHtml(approval.agent_name)} · ${escapeHtml(approval.action_type)}</dd>
            <dt>Expires in</dt><dd class="countdown" data-testid="countdown"></dd>
          </dl>
          ${canAnswer ? `
          <div class="actions">
            <input type="text" maxlength="2000" placeholder="Note (optional)" data-testid="note" aria-label="Note">
            <button type="button" class="approve" data-testid="approve">Approve</button>
            <button type="button" class="reject" data-testid="reject">Reject</button>
          </div>` : ''}
          <p class="row-message" data-testid="row-message"></p>`;
        if (canAnswer) {
          const buttons = li.querySelectorAll('button');
          const message = li.querySelector('[data-testid="row-message"]');
          const answer = async (decision) => {
            buttons.forEach((b) => { b.disabled = true; });
            message.textContent = decision === 'approved' ? 'Approving…' : 'Rejecting…';
            try {
              await answerApproval(db, ctx.user, role, salonId, approval.id, decision, li.querySelector('[data-testid="note"]').value);
              notice('done', `${decision === 'approved' ? 'Approved' : 'Rejected'}: ${approval.action_summary}`);
            } catch (error) {
              const text = error instanceof AnswerError ? error.message : String(error);
              message.textContent = text;
              notice(error.kind === 'already_answered' ? 'already-answered' : 'error', text);
              buttons.forEach((b) => { b.disabled = false; });
            }
          };
          li.querySelector('[data-testid="approve"]').addEventListener('click', () => answer('approved'));
          li.querySelector('[data-testid="reject"]').addEventListener('click', () => answer('rejected'));
        }
      }
      li.querySelector('[data-testid="countdown"]').textContent = countdown(toMillis(approval.expires_at), now);
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
      existing.delete(approval.id);
    }
    for (const gone of existing.values()) gone.remove();
  };

  const pending = query(collection(db, 'salons', salonId, 'approvals'), where('status', '==', 'pending'));
  const stop = onSnapshot(pending, (snap) => {
    const seenAt = Date.now();
    for (const change of snap.docChanges()) {
      if (change.type === 'added' && !(change.doc.id in window.__approvalSeenAt)) {
        window.__approvalSeenAt[change.doc.id] = seenAt;
      }
    }
    approvals = snap.docs.map((d) => ({ id: d.id, ...d.data() }))
      .sort((a, b) => (PRIORITY_RANK[b.priority] ?? 0) - (PRIORITY_RANK[a.priority] ?? 0)
        || (toMillis(b.created_at) ?? 0) - (toMillis(a.created_at) ?? 0));
    draw();
  }, (error) => {
    status.textContent = '';
    list.innerHTML = '';
    ctx.refuse(root, "this salon's approvals", error);
  });
  const timer = setInterval(draw, 1000);
  return () => { stop(); clearInterval(timer); };
}
