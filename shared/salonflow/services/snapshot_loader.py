"""Build each agent's `SalonSnapshot` from Firestore, reading only what that agent decides on.

Cost rules (a salon with 10 staff, 2,000 customers and 150 bookings a day is the yardstick):
- every run reads the salon document, its agent state, active staff and active services (~30 small docs);
- bookings are read by start-time window (and by staff where the decision is about one stylist's day), never all;
- customers, scores and their recent outreach are batch-read by id (`get_all`, `in` queries of 30) for the few
  customers a decision is about — never a scan of all customers;
- incremental agents (no-show, upsell) read only bookings that *entered* their time horizon, or were created,
  since the agent's `last_execution`: a 10-minute tick touches a handful of bookings, not two days' worth;
- gap fill reads candidate scores only when some gap actually needs a new wave of offers.
Counts per run are measured by `bench/agents_firestore_cost.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from salonflow.adapters.firestore.repositories import SalonRepositories
from salonflow.agents.gap_fill import waitlist_goes_first, wave_can_start
from salonflow.agents.holdout import GAP_FAMILY, in_holdout
from salonflow.agents.no_show import (
    CALL_LEAD,
    HIGH_RISK_CONFIRMATION_LEAD,
    LAST_USEFUL_MESSAGE,
    REMINDER_LEAD,
)
from salonflow.agents.snapshot import Interval, SalonSnapshot
from salonflow.agents.upsell import MIN_NOTICE, has_free_time_after
from salonflow.domain.agent_state import AgentState
from salonflow.domain.bookings import Booking
from salonflow.domain.customer_scores import CustomerScore
from salonflow.domain.enums import (
    BookingStatus,
    CustomerSegment,
    OutcomeStatus,
    OutreachStatus,
    WaitlistStatus,
    Weekday,
)
from salonflow.domain.outreach import Outreach
from salonflow.domain.salon import Salon
from salonflow.services import views

IN_LIMIT = 30  # Firestore's limit of values in an `in` filter
MAX_DUE_REGULARS = 100
MAX_AT_RISK = 100
MOVE_UP_DAYS = 3
MOVE_UPS_PER_GAP = 8
SHORTLIST_REGULARS = 30
RECENT_OUTREACH = timedelta(days=7)  # at least candidates.UNSOLICITED_WINDOW: the weekly cap counts it
WIN_BACK_LOOKBACK = timedelta(days=30)
ANALYTICS_COLLECTION = "analytics_daily"
OCCUPANCY_DAYS = 28

T = TypeVar("T")


class SalonNotFound(LookupError):
    pass


def chunks(values: Iterable[T], size: int = IN_LIMIT) -> list[list[T]]:
    unique = list(dict.fromkeys(values))
    return [unique[i:i + size] for i in range(0, len(unique), size)]


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


class SnapshotLoader:
    def __init__(self, repos: SalonRepositories) -> None:
        self.repos = repos
        self.salon_id = repos.salon_id
        self._salon: Salon | None = None

    # ------------------------------------------------------------------ common parts
    def salon(self) -> Salon:
        if self._salon is None:
            salon = self.repos.salon.get()
            if salon is None:
                raise SalonNotFound(self.salon_id)
            self._salon = salon
        return self._salon

    def agent_state(self, agent_name: str) -> AgentState | None:
        return self.repos.agent_states.get(agent_name)

    def base(self, agent_name: str) -> SalonSnapshot:
        salon = self.salon()
        state = self.agent_state(agent_name)
        custom = state.config.custom if state else None
        return SalonSnapshot(
            salon=views.salon_view(salon, custom),
            staff={s.id: views.staff_view(s) for s in self.repos.staff.active()},
            services={s.id: views.service_view(s) for s in self.repos.services.active()},
        )

    def _customers(self, ids: Iterable[str]) -> dict[str, Any]:
        return self.repos.customers.get_many(ids)

    def _scores(self, ids: Iterable[str]) -> dict[str, CustomerScore]:
        return self.repos.customer_scores.get_many(ids)

    def _outreach_about(self, trigger_ids: Iterable[str]) -> list[Outreach]:
        found: list[Outreach] = []
        for part in chunks(trigger_ids):
            found += self.repos.outreach.query([("trigger_id", "in", part)])
        return found

    def _decisions_about(self, trigger_ids: Iterable[str], *, pending_only: bool = False) -> list[Any]:
        """Decisions made about the triggers; ``pending_only``: only those whose outcome is still open."""
        found: list[Any] = []
        for part in chunks(trigger_ids):
            filters: list[tuple[str, str, Any]] = [("context.trigger_id", "in", part)]
            if pending_only:
                filters.append(("outcome.status", "==", OutcomeStatus.PENDING))
            found += self.repos.decisions.query(filters)
        return found

    def _outreach_of(self, customer_ids: Iterable[str], since: datetime) -> list[Outreach]:
        found: list[Outreach] = []
        for part in chunks(customer_ids):
            found += self.repos.outreach.query([("customer_id", "in", part), ("created_at", ">=", since)])
        return found

    def _future_bookings_of(self, customer_ids: Iterable[str], now: datetime) -> list[Booking]:
        found: list[Booking] = []
        for part in chunks(customer_ids):
            found += self.repos.bookings.query([("customer_id", "in", part), ("start_time", ">=", now)])
        return [b for b in found if b.is_active]

    def _bookings_between(self, start: datetime, end: datetime, staff_ids: Sequence[str] | None = None,
                          created_after: datetime | None = None) -> list[Booking]:
        if created_after is not None:
            rows = self.repos.bookings.query([("created_at", ">", created_after)])
            return [b for b in rows if start <= b.start_time < end]
        if staff_ids is None:
            return self.repos.bookings.in_range(start, end)
        found: list[Booking] = []
        for part in chunks(staff_ids):
            found += self.repos.bookings.query(
                [("staff_id", "in", part), ("start_time", ">=", start), ("start_time", "<", end)])
        return found

    def _due_regulars(self, now: datetime, until: datetime, limit: int) -> dict[str, CustomerScore]:
        """Regulars whose predicted next visit is around now (10 days overdue .. 2 days after `until`)."""
        zone = ZoneInfo(self.salon().timezone)
        rows = self.repos.customer_scores.query(
            [("visit_frequency.next_predicted", ">=", now.astimezone(zone).date() - timedelta(days=10)),
             ("visit_frequency.next_predicted", "<=", until.astimezone(zone).date() + timedelta(days=2))],
            order_by=[("visit_frequency.next_predicted", "DESCENDING")], limit=limit)
        return {s.customer_id: s for s in rows if s.segment is not CustomerSegment.NEW}

    def _history_counts(self, customer_ids: Sequence[str]) -> dict[str, list[Booking]]:
        """No-shows and late cancellations of these customers (the rare bookings, not every visit)."""
        found: dict[str, list[Booking]] = {cid: [] for cid in customer_ids}
        for part in chunks(customer_ids):
            for booking in self.repos.bookings.query([("customer_id", "in", part),
                                                      ("status", "==", BookingStatus.NO_SHOW)]):
                found[booking.customer_id].append(booking)
            for booking in self.repos.bookings.query([("customer_id", "in", part),
                                                      ("late_cancellation", "==", True)]):
                found[booking.customer_id].append(booking)
        return found

    def _with_people(self, snapshot: SalonSnapshot, customer_ids: Iterable[str], now: datetime,
                     history: bool = False, scores: dict[str, CustomerScore] | None = None,
                     future_bookings: bool = True) -> SalonSnapshot:
        """Add these customers, their scores, their future bookings and their recent outreach."""
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return snapshot
        customers = self._customers(ids)
        ids = [cid for cid in ids if cid in customers]
        loaded = dict(scores or {})
        missing = [cid for cid in ids if cid not in loaded]
        loaded.update(self._scores(missing))
        past = self._history_counts(ids) if history else {}
        customer_views = dict(snapshot.customers)
        for cid in ids:
            score = loaded.get(cid)
            customer_views[cid] = views.customer_view(
                customers[cid], past.get(cid, ()),
                completed_visits=score.visit_frequency.total_visits if score else 0)
        known = {b.id for b in snapshot.bookings}
        upcoming = self._future_bookings_of(ids, now) if future_bookings else []
        extra = tuple(views.booking_view(b) for b in upcoming if b.id not in known)
        seen = {o.id for o in snapshot.outreach}
        recent = tuple(views.outreach_view(o) for o in self._outreach_of(ids, now - RECENT_OUTREACH)
                       if o.id not in seen)
        return replace(
            snapshot,
            customers=customer_views,
            scores={**snapshot.scores, **{cid: views.score_view(s) for cid, s in loaded.items()}},
            bookings=snapshot.bookings + extra,
            outreach=snapshot.outreach + recent,
        )

    # ------------------------------------------------------------------ per agent
    def for_gap_detection(self, now: datetime, days: Sequence[date] | None = None,
                          staff_id: str | None = None) -> tuple[SalonSnapshot, list[date]]:
        """Bookings and stored gaps of the given salon-local days (default: today + horizon), one staff or all."""
        snap = self.base("gap_fill_agent")
        zone = snap.salon.zone
        if days is None:
            today = now.astimezone(zone).date()
            days = [today + timedelta(days=n) for n in range(snap.salon.settings.gap_horizon_days + 1)]
        start, _ = local_day_bounds(min(days), zone)
        _, end = local_day_bounds(max(days), zone)
        # A booking can start before the window and run into it; services are at most 12 h.
        staff = [staff_id] if staff_id else None
        bookings = self._bookings_between(start - timedelta(hours=12), end, staff)
        gap_filters: list[tuple[str, str, Any]] = [("date", "in", [d.isoformat() for d in days][:IN_LIMIT])]
        if staff_id:
            gap_filters.append(("staff_id", "==", staff_id))
        gaps = self.repos.gaps.query(gap_filters)
        # Also settle open gaps of earlier days that nobody closed.
        stale = self.repos.gaps.open_ended_before(now)
        known = {g.id for g in gaps}
        return replace(
            snap,
            bookings=tuple(views.booking_view(b) for b in bookings),
            gaps=tuple(views.gap_view(g) for g in [*gaps, *(g for g in stale if g.id not in known)]),
        ), list(days)

    def for_gap_fill(self, now: datetime, *, waitlist_only: bool = False) -> SalonSnapshot:
        """Open gaps, their offers and the waitlist; candidates only for gaps that need a new wave now.

        For the gap-fill agent a gap whose matching waitlist entries have not all been asked is the waitlist's
        turn, so it needs no candidates; `waitlist_only` (the waitlist agent) loads just the waitlist's people.
        """
        snap = self.base("gap_fill_agent")
        zone = snap.salon.zone
        today_start, _ = local_day_bounds(now.astimezone(zone).date(), zone)
        horizon = now + timedelta(days=snap.salon.settings.gap_horizon_days + 1)
        gaps = [g for g in self.repos.gaps.open(start=today_start - timedelta(hours=12), end=horizon)
                if g.end_time > now]
        if not gaps:
            return snap
        # Every decision about a gap matters only once the gap may start a wave (who was asked is then left
        # out); until then only those still under way do (with the owner, deferred). A gap waiting for its
        # wave's answers, or done, costs its pending decisions, not its whole history, on every tick.
        awaiting = self._decisions_about((g.id for g in gaps), pending_only=True)
        snap = replace(snap, gaps=tuple(views.gap_view(g) for g in gaps),
                       outreach=tuple(views.outreach_view(o) for o in self._outreach_about(g.id for g in gaps)),
                       decisions=tuple(views.decision_record(d) for d in awaiting),
                       waitlist=tuple(views.waitlist_view(w) for w in self.repos.waitlist.waiting(limit=200)))
        share = snap.salon.settings.holdout_share
        ready = [g for g in snap.gaps if wave_can_start(snap, g, now)
                 and not in_holdout(snap.salon.id, GAP_FAMILY, g.id, share)]
        if ready:
            decided = {d.id: d for d in [*awaiting, *self._decisions_about(g.id for g in ready)]}
            snap = replace(snap, decisions=tuple(views.decision_record(d) for d in decided.values()))
        needy = [g for g in ready
                 if (g.fill_attempts == 0 if waitlist_only else not waitlist_goes_first(snap, g, now))]
        if not needy:
            return snap  # every gap is waiting for answers, done, or the waitlist's turn: read nothing more
        fittable = {s for g in needy for s in g.services_fittable}
        people: list[str] = [w.customer_id for w in snap.waitlist if w.service_id in fittable]
        bookings: list[Booking] = []
        if not waitlist_only:
            first, last = min(g.start for g in needy), max(g.start for g in needy)
            later = [b for b in self._bookings_between(first, last + timedelta(days=MOVE_UP_DAYS),
                                                       sorted({g.staff_id for g in needy})) if b.is_active]
            # Per gap, the few nearest later bookings that could move into it: enough to rank, cheap to read.
            chosen: dict[str, Booking] = {}
            for g in needy:
                fits = sorted((b for b in later if b.staff_id == g.staff_id and b.start_time >= g.end
                               and b.service_id in g.services_fittable), key=lambda b: b.start_time)
                chosen.update({b.id: b for b in fits[:MOVE_UPS_PER_GAP]})
            bookings = list(chosen.values())
            people += [b.customer_id for b in bookings]
        due: dict[str, CustomerScore] = {}
        if not waitlist_only:
            due = self._due_regulars(now, max(g.start for g in needy), MAX_DUE_REGULARS)
            people += list(due)
        snap = replace(snap, bookings=tuple(views.booking_view(b) for b in bookings))
        return self._with_people(snap, people, now, scores=due)

    def for_waitlist(self, now: datetime) -> SalonSnapshot:
        return self.for_gap_fill(now, waitlist_only=True)

    def for_no_show(self, now: datetime, since: datetime | None) -> SalonSnapshot:
        snap = self.base("no_show_prevention_agent")
        horizon_start = now + LAST_USEFUL_MESSAGE
        if since is None or now - since > timedelta(hours=6):
            rows = self._bookings_between(horizon_start, now + HIGH_RISK_CONFIRMATION_LEAD)
        else:
            rows = []
            # Only what crossed a threshold since the last run, plus bookings made since then.
            for lead in (CALL_LEAD, REMINDER_LEAD, HIGH_RISK_CONFIRMATION_LEAD):
                rows += self._bookings_between(since + lead, now + lead)
            rows += self._bookings_between(horizon_start, now + HIGH_RISK_CONFIRMATION_LEAD, created_after=since)
        unique = {b.id: b for b in rows if b.is_active}
        bookings = tuple(views.booking_view(b) for b in unique.values())
        snap = replace(snap, bookings=bookings,
                       outreach=tuple(views.outreach_view(o) for o in self._outreach_about(unique)))
        snap = self._with_people(snap, [b.customer_id for b in bookings], now, history=True, future_bookings=False)
        if any(b.start - now <= CALL_LEAD for b in bookings):
            # A call carries a shortlist for the slot: the waitlist and a few due regulars.
            waitlist = tuple(views.waitlist_view(w) for w in self.repos.waitlist.waiting(limit=100))
            due = self._due_regulars(now, now + CALL_LEAD, SHORTLIST_REGULARS)
            snap = replace(snap, waitlist=waitlist)
            snap = self._with_people(snap, [w.customer_id for w in waitlist] + list(due), now, scores=due)
        return snap

    def for_retention(self, now: datetime) -> SalonSnapshot:
        snap = self.base("retention_agent")
        at_risk = {s.customer_id: s for s in self.repos.customer_scores.by_segment(CustomerSegment.AT_RISK,
                                                                                    limit=MAX_AT_RISK)}
        snap = self._with_people(snap, list(at_risk), now, scores=at_risk)
        older = self._outreach_of(list(at_risk), now - WIN_BACK_LOOKBACK)
        seen = {o.id for o in snap.outreach}
        return replace(snap, outreach=snap.outreach + tuple(views.outreach_view(o) for o in older
                                                            if o.id not in seen))

    def for_upsell(self, now: datetime, since: datetime | None) -> SalonSnapshot:
        snap = self.base("upsell_agent")
        start, end = now + MIN_NOTICE, now + timedelta(days=2)
        if since is None or now - since > timedelta(hours=6):
            targets = self._bookings_between(start, now + timedelta(hours=27))
        else:
            targets = self._bookings_between(start, end, created_after=since)
            targets += self._bookings_between(since + timedelta(hours=27), now + timedelta(hours=27))
        targets = [b for b in targets if b.is_active]
        if not targets:
            return snap
        zone = snap.salon.zone
        days = sorted({b.start_time.astimezone(zone).date() for b in targets})
        staff = sorted({b.staff_id for b in targets})
        context: dict[str, Booking] = {b.id: b for b in targets}
        for day in days:
            lo, hi = local_day_bounds(day, zone)
            context.update({b.id: b for b in self._bookings_between(lo, hi, staff)})
        snap = replace(snap, bookings=tuple(views.booking_view(b) for b in context.values()))
        # Only bookings followed by free time with the same stylist can take an add-on: load just their people.
        open_after = [b for b in targets if has_free_time_after(snap, views.booking_view(b))]
        if not open_after:
            return replace(snap, bookings=())
        return self._with_people(snap, [b.customer_id for b in open_after], now)

    def for_cleanup(self, now: datetime) -> SalonSnapshot:
        snap = self.base("cleanup_agent")
        approvals = self.repos.approvals.pending_past_expiry(now, limit=500)
        decisions = self.repos.decisions.pending_past_expiry(now, limit=500)
        outreach = self.repos.outreach.past_expiry(now, limit=500)
        gaps = self.repos.gaps.open_ended_before(now, limit=500)
        waitlist = self.repos.waitlist.past_expiry(now, limit=500)
        offered = self.repos.waitlist.query([("status", "==", WaitlistStatus.OFFERED)], limit=200)
        # Offers live for at most a day or two; `customer in (30) x status in (4)` would exceed Firestore's 30
        # disjunctions, so the status is checked here.
        live = [o for o in self._outreach_of((w.customer_id for w in offered), now - timedelta(days=2))
                if o.status in (OutreachStatus.PENDING, OutreachStatus.SENT, OutreachStatus.DELIVERED,
                                OutreachStatus.READ)]
        by_id = {o.id: o for o in [*outreach, *live]}
        entries = {w.id: w for w in [*waitlist, *offered]}
        return replace(
            snap,
            approvals=tuple(views.approval_record(a) for a in approvals),
            decisions=tuple(views.decision_record(d) for d in decisions),
            outreach=tuple(views.outreach_view(o) for o in by_id.values()),
            gaps=tuple(views.gap_view(g) for g in gaps),
            waitlist=tuple(views.waitlist_view(w) for w in entries.values()),
        )

    def for_analytics(self, day: date) -> SalonSnapshot:
        snap = self.base("analytics_agent")
        start, end = local_day_bounds(day, snap.salon.zone)
        decisions = self.repos.decisions.created_between(start, end)
        outreach = self.repos.outreach.query([("created_at", ">=", start), ("created_at", "<", end)])
        approvals = self.repos.approvals.query([("created_at", ">=", start), ("created_at", "<", end)])
        gaps = self.repos.gaps.query([("date", "==", day.isoformat())])
        bookings = self.repos.bookings.in_range(start, end)
        return replace(
            snap,
            decisions=tuple(views.decision_record(d) for d in decisions),
            outreach=tuple(views.outreach_view(o) for o in outreach),
            approvals=tuple(views.approval_record(a) for a in approvals),
            gaps=tuple(views.gap_view(g) for g in gaps),
            bookings=tuple(views.booking_view(b) for b in bookings),
            window=Interval(start, end),
        )

    def occupancy(self, now: datetime) -> dict[tuple[Weekday, int], float]:
        """Average booked share per (weekday, local hour) over the last four weeks of daily analytics docs."""
        zone = ZoneInfo(self.salon().timezone)
        today = now.astimezone(zone).date()
        days = [today - timedelta(days=n) for n in range(1, OCCUPANCY_DAYS + 1)]
        collection = self.repos.client.collection("salons", self.salon_id, ANALYTICS_COLLECTION)
        sums: dict[tuple[Weekday, int], list[float]] = {}
        for snap in self.repos.client.get_all([collection.document(d.isoformat()) for d in days]):
            if not snap.exists:
                continue
            data = snap.to_dict() or {}
            weekday = Weekday.of(date.fromisoformat(snap.id))
            for hour, value in (data.get("occupancy_by_hour") or {}).items():
                sums.setdefault((weekday, int(hour)), []).append(float(value))
        # Two samples of the same weekday at least, or the "usual" is a guess.
        return {key: round(sum(v) / len(v), 3) for key, v in sums.items() if len(v) >= 2}

