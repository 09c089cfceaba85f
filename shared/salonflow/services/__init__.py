"""The service layer: load what an agent needs, run it, and apply its proposals through governance.

- `snapshot_loader`: reads only what each agent decides on (date windows, batch gets, bounded queries).
- `executor`: proposals -> decisions, approvals, outreach through autonomy, holdout, consent, quiet hours,
  rate limits (reserved in the transaction that creates the outreach), circuit breaker and audit.
- `gap_fill_service`: gap documents from detection, the atomic first-yes-wins booking of an offered slot.
- `reply_service`: customer replies (offers and confirmations), `approval_service`: owner decisions.
- `housekeeping`: cleanup, analytics and customer scores; `runner`: one agent run end to end.
Side effects leave only through the ports in `salonflow.ports`.
"""
