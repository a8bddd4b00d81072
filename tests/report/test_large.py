"""A report of a large log: the page is made piece by piece, and the timeline summarises
the check-ins past a bound while listing every other event. No time is measured here."""

from __future__ import annotations

import inspect

from engine.report.html import PIECE, render_html, render_pieces
from engine.report.model import TIMELINE_CHECKINS, build_report
from tests.report import builders as b
from tests.report.test_model import RUN1, _entries, _input, _pair, _run


def _checkins(count: int, start: int) -> list[dict]:
    months = ("2026-10", "2026-11")
    return [b.checkin("M2", "E2", rating=1 + i % 5, at=f"{months[i % 2]}-05T10:00:00.000000Z")
            | {"seq": start + i} for i in range(count)]


def test_the_page_is_a_generator_of_pieces_that_join_into_the_whole_page():
    report = build_report(_input())
    pieces = render_pieces(report)
    assert inspect.isgenerator(pieces)
    first = next(pieces)
    assert first.startswith("<!DOCTYPE html>")
    assert first + "".join(pieces) == render_html(report)


def test_a_page_of_many_pairs_comes_in_many_bounded_pieces():
    """Each piece is handed on once it passes PIECE characters, so no piece holds much more
    than that, whatever the size of the log."""
    pairs = [_pair(RUN1, 2 + i, f"M{i}", f"E{i}") for i in range(3_000)]
    report = build_report(_input(entries=[_run(RUN1, 1, "2026-09-01T10:15:30.000000Z"),
                                          *pairs]))
    sizes = [len(p) for p in render_pieces(report)]
    assert len(sizes) > 10
    assert max(sizes) < 2 * PIECE


def test_check_ins_up_to_the_bound_are_listed_one_by_one():
    entries = [*_entries(), *_checkins(TIMELINE_CHECKINS - 1, 100)]  # one more in _entries
    report = build_report(_input(entries=entries))
    assert report.checkins is None
    assert sum(1 for i in report.timeline if i.kind == "checkin") == TIMELINE_CHECKINS


def test_past_the_bound_check_ins_are_summarised_and_every_other_event_is_listed():
    entries = [*_entries(), *_checkins(TIMELINE_CHECKINS, 100)]
    report = build_report(_input(entries=entries))
    listed = [i.kind for i in report.timeline]
    assert "checkin" not in listed
    assert {"separation", "reassignment", "decision", "outcome", "rejection"} <= set(listed)
    summary = report.checkins
    assert summary is not None and summary.count == TIMELINE_CHECKINS + 1
    assert report.glance.checkins == TIMELINE_CHECKINS + 1
    assert summary.pairs == 1 and summary.last_seq == 100 + TIMELINE_CHECKINS - 1
    months = {m.month: m.checkins for m in summary.months}
    assert months["2026-11"] == TIMELINE_CHECKINS // 2
    assert sum(m.checkins for m in summary.months) == summary.count
    assert dict(summary.ratings)["1"] == TIMELINE_CHECKINS // 5
    page = render_html(report)
    assert 'id="checkin-months"' in page and "Check-ins, summarised" in page
    assert page.count('data-kind="checkin"') == 0
