"""The page on the engine's own incidents, percentages and business intervals: the engine
agrees with the hand-made worked example of the other page tests, and its page shows it."""

from __future__ import annotations

from storemon.page.render import render_report_page
from tests.page.cases import WORKED_INPUTS, engine_result, worked_example


def engine_worked_example():
    return engine_result(*WORKED_INPUTS, as_of="2023-01-23 18:00:00", incidents=True)


def records(frame):
    return frame.reset_index(drop=True).to_dict("records")


def test_engine_gives_the_hand_computed_extras():
    hand, engine = worked_example(), engine_worked_example()
    assert records(engine.incidents) == records(hand.incidents)
    assert records(engine.business_intervals) == records(hand.business_intervals)
    assert records(engine.percentages) == records(hand.percentages)


def test_engine_result_page(open_page):
    page = open_page(render_report_page(engine_worked_example())).page
    assert page.locator("#store-rows tr.store td.id").all_inner_texts() == ["C", "A", "B"]
    page.click("#store-rows tr.store[data-index='0'] button.open")
    cells = page.locator("tr.details[data-for='0'] tr.incident td").all_inner_texts()
    assert cells == ["Mon 23 Jan 10:45", "12:00", "1:15", "1:15", "ongoing"]
    assert page.locator("tr.details[data-for='0'] svg.timeline rect.down").count() == 1
