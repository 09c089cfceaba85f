from datetime import timedelta

from salonflow_sim.behaviour import (
    Fate,
    OfferContext,
    Relation,
    acceptance_probability,
    answer_confirmation,
    answer_offer,
    opt_out_probability,
    owner_answer,
)

ORDINARY = OfferContext(relation=Relation.DUE, willingness=1.0, lead=timedelta(hours=5), message_hour=11,
                        in_usual_part=True)


def test_a_waitlisted_customer_takes_a_fitting_slot_far_more_often_than_a_regular_who_is_merely_due() -> None:
    waitlisted = acceptance_probability(OfferContext(**{**ORDINARY.__dict__, "relation": Relation.WAITLISTED_FITS}))
    assert waitlisted > 3 * acceptance_probability(ORDINARY)
    assert acceptance_probability(ORDINARY) > acceptance_probability(
        OfferContext(**{**ORDINARY.__dict__, "relation": Relation.NOT_DUE}))


def test_short_notice_a_late_evening_message_and_a_crowded_week_each_lower_the_chance_and_a_discount_raises_it() -> None:
    base = acceptance_probability(ORDINARY)
    for change in ({"lead": timedelta(minutes=90)}, {"message_hour": 20}, {"recent_messages": 3},
                   {"in_usual_part": False}):
        assert acceptance_probability(OfferContext(**{**ORDINARY.__dict__, **change})) < base, change
    assert acceptance_probability(OfferContext(**{**ORDINARY.__dict__, "discount_percent": 20})) == 2 * base


def test_no_offer_is_ever_certain_to_be_taken() -> None:
    eager = OfferContext(relation=Relation.WAITLISTED_FITS, willingness=1.5, lead=timedelta(days=1), message_hour=10,
                         in_usual_part=True, discount_percent=50)
    assert acceptance_probability(eager) == 0.9


def test_opting_out_stays_rare_for_three_messages_a_week_and_grows_fast_after_more_so_for_marketing() -> None:
    assert opt_out_probability(3, "service") < 0.01
    assert opt_out_probability(5, "service") > 10 * opt_out_probability(3, "service")
    assert opt_out_probability(5, "marketing") > opt_out_probability(5, "service")
    assert opt_out_probability(100, "marketing") == 0.5


def test_the_same_customer_asked_about_the_same_slot_answers_the_same_under_every_policy() -> None:
    first = answer_offer(7, "cust_a", "2026-03-03T14", ORDINARY)
    assert answer_offer(7, "cust_a", "2026-03-03T14", ORDINARY) == first
    answers = {answer_offer(7, f"cust_{n}", "2026-03-03T14", ORDINARY).reply for n in range(200)}
    assert len(answers) == 3  # accept, decline and silence all happen


def test_a_would_be_no_show_asked_to_confirm_either_cancels_in_time_comes_or_stays_silent() -> None:
    answers = [answer_confirmation(7, f"visit_{n}", Fate.NO_SHOW) for n in range(400)]
    cancels = sum(a.text == "CANCEL" for a in answers) / len(answers)
    comes = sum(a.comes for a in answers) / len(answers)
    assert 0.25 < cancels < 0.45 and 0.15 < comes < 0.35
    assert all(a.comes for a in (answer_confirmation(7, f"v{n}", Fate.SHOW) for n in range(50)))


def test_an_owner_asked_at_night_answers_only_after_waking_up() -> None:
    night = owner_answer(7, "apr_1", "gap_fill", local_hour=23.0)
    day = owner_answer(7, "apr_1", "gap_fill", local_hour=11.0)
    assert night.approve == day.approve
    assert night.delay - day.delay == timedelta(hours=10)
