"""Uptime budgeted by time slices (OpenSLO's Timeslices method, docs/sre.md): hand-computed
values and budgets, each case also checked against the scalar reference."""

from __future__ import annotations

import pytest

import slagraph
from slagraph.syntax.format import format_source
from tests.test_differential import OUTAGES, case, check, outage


def rows_of(text: str, outages: list[dict], as_of: str) -> dict[tuple[str, str], dict]:
    """(period, node) → row, after checking the engine against the reference."""
    check(case(text, {"outages": outages}, as_of=as_of))
    result = slagraph.compile(text).evaluate({"outages": outages_table(outages)}, as_of=as_of)
    return {(r["period"], r["node"]): r for r in result.rows() if r["account"] == "a1"}


def outages_table(outages: list[dict]) -> object:
    import pyarrow as pa

    def t(x: str | None) -> object:
        import datetime as dt

        return None if x is None else dt.datetime.fromisoformat(x.replace("Z", "+00:00"))

    return pa.table(
        {
            "account": [o["account"] for o in outages],
            "start": pa.array([t(o["start"]) for o in outages], pa.timestamp("ns", tz="UTC")),
            "end": pa.array([t(o["end"]) for o in outages], pa.timestamp("ns", tz="UTC")),
        }
    )


DAY = "2026-03-02T"  # a Monday


def test_slice_at_threshold_is_good_and_an_excluded_slice_has_no_data() -> None:
    """Hourly slices of a UTC day, good when >= 95%: 3 min down in a slice is exactly 95%
    (good), 3 min 1 s is not; an outage across 10:00 splits 1 + 2 min (both good); 12:00 to
    14:30 spoils three slices. 20:00–21:00 is excluded, so that slice has no measured time
    and its outage is not counted: 23 slices with data, 4 bad."""
    text = (
        OUTAGES
        + 'calendar maint { timezone "UTC" hours mon-sun 20:00-21:00 }\n'
        + "sla s { period daily\n"
        + "  objective up = uptime(outages) excluding maint >= 90% timeslices 1h good when >= 95%\n"
        + "  objective plain = uptime(outages) excluding maint >= 90% }\n"
    )
    outages = [
        outage(DAY + "01:00:00Z", DAY + "01:03:00Z"),
        outage(DAY + "05:10:00Z", DAY + "05:13:01Z"),
        outage(DAY + "09:59:00Z", DAY + "10:02:00Z"),
        outage(DAY + "12:00:00Z", DAY + "14:30:00Z"),
        outage(DAY + "20:10:00Z", DAY + "20:40:00Z"),
    ]
    rows = rows_of(text, outages, "2026-03-03T00:00:00Z")
    up = rows[("2026-03-02", "s.up")]
    assert up["value"] == pytest.approx(19 / 23, rel=1e-12)
    assert up["budget_used"] == pytest.approx(4 / 2.3, rel=1e-12)  # allowed 10% × 23 slices
    assert up["status"] == "breached"
    down = 180 + 181 + 180 + 150 * 60  # measured time: 23 h
    plain = rows[("2026-03-02", "s.plain")]
    assert plain["value"] == pytest.approx(1 - down / (23 * 3600), rel=1e-12)


def test_dst_days_in_santiago_have_25_and_23_hourly_slices() -> None:
    """Slices start at the local midnight: Apr 4 2026 lasts 25 hours in Santiago (clocks
    go back), Sep 6 lasts 23 (forward); two bad hours of 25, one of 23."""
    text = (
        OUTAGES
        + 'sla s { period daily\n  timezone "America/Santiago"\n'
        + "  objective up = uptime(outages) >= 90% timeslices 1h good when > 99% }\n"
    )
    april = rows_of(
        text,
        [outage("2026-04-04T15:00:00Z", "2026-04-04T17:00:00Z")],
        "2026-04-05T12:00:00Z",
    )
    assert april[("2026-04-04", "s.up")]["value"] == pytest.approx(23 / 25, rel=1e-12)
    assert april[("2026-04-04", "s.up")]["budget_used"] == pytest.approx(2 / 2.5, rel=1e-12)
    sept = rows_of(
        text,
        [outage("2026-09-06T10:00:00Z", "2026-09-06T10:30:00Z")],  # half of one slice
        "2026-09-07T12:00:00Z",
    )
    assert sept[("2026-09-06", "s.up")]["value"] == pytest.approx(22 / 23, rel=1e-12)


def test_month_end_cuts_the_last_slice_and_slices_after_as_of_have_no_data() -> None:
    """Weekly slices of a month from its first day: March 2026 is four of 7 days and one of
    3 (Mar 29 – Apr 1). One hour down in the 3-day slice is 98.6% (bad, good when >= 99%);
    the outage across the month end adds an hour to it and one to April's first slice
    (1 of 168 h: 99.4%, good). As-of Apr 10: April's second slice is measured for two
    days (no downtime: good) and the three after as-of have no data."""
    text = (
        OUTAGES
        + "sla s { period monthly\n"
        + "  objective up = uptime(outages) >= 75% timeslices 7d good when >= 99% }\n"
    )
    outages = [
        outage("2026-03-30T00:00:00Z", "2026-03-30T01:00:00Z"),
        outage("2026-03-31T23:00:00Z", "2026-04-01T01:00:00Z"),
    ]
    rows = rows_of(text, outages, "2026-04-10T00:00:00Z")
    march, april = rows[("2026-03", "s.up")], rows[("2026-04", "s.up")]
    assert march["value"] == pytest.approx(4 / 5, rel=1e-12)
    assert march["budget_used"] == pytest.approx(1 / 1.25, rel=1e-12)  # 25% × 5 slices
    assert march["status"] == "at_risk"  # met, with 80% of the budget spent
    assert april["value"] == 1.0
    assert april["budget_used"] == 0.0


def test_min_counts_slices_with_data() -> None:
    """`min 30` on hourly slices: a day measured for 24 slices is no_data."""
    text = (
        OUTAGES
        + "sla s { period daily\n"
        + "  objective up = uptime(outages) >= 99% timeslices 1h good when >= 99% min 30 }\n"
    )
    rows = rows_of(text, [outage(DAY + "01:00:00Z", DAY + "02:00:00Z")], "2026-03-03T00:00:00Z")
    assert rows[("2026-03-02", "s.up")]["status"] == "no_data"


def test_the_clause_round_trips_through_the_formatter() -> None:
    text = (
        OUTAGES + "sla s {\n    objective up = uptime(outages) >= 99.9% "
        "timeslices 1m good when >= 95% min 10 warn at 50%\n}\n"
    )
    assert "timeslices 1m good when >= 95% min 10 warn at 50%" in format_source(text)
    assert format_source(format_source(text)) == format_source(text)


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ("share(outages, end - start <= 1h) >= 90% timeslices 1m good when >= 95%", "shares"),
        ("uptime(outages) <= 90% timeslices 1m good when >= 95%", "lower-bound"),
        ("uptime(outages) >= 90% timeslices 1m good when <= 95%", ">= or >"),
        ("uptime(outages) >= 90% timeslices 1m good when > 100%", "at most 100%"),
        ("uptime(outages) >= 90% timeslices 1m good when >= 95% min 1h", "slices with data"),
    ],
)
def test_misuse_is_a_located_compile_error(objective: str, message: str) -> None:
    text = OUTAGES + f"sla s {{ objective up = {objective} }}\n"
    with pytest.raises(slagraph.SlaCompileError, match=message) as error:
        slagraph.compile(text)
    assert "line 2" in str(error.value) or ":2:" in str(error.value)


def test_rolling_windows_cut_each_window_from_its_own_start() -> None:
    """`window rolling 1d`, steps at midnight and at as-of (06:30). The midnight window's
    hourly slices start on the hour: 05:10–05:13:01 and 06:20–06:40 spoil two (22 of 24).
    The as-of window starts at 06:30 the day before, its slices on the half hour: only
    06:30–06:40 is inside it, 10 min of the 06:30–07:30 slice (83%): 23 of 24."""
    text = (
        OUTAGES
        + "sla s { window rolling 1d\n"
        + "  objective up = uptime(outages) >= 90% timeslices 1h good when >= 95% }\n"
    )
    outages = [
        outage(DAY + "01:00:00Z", DAY + "01:03:00Z"),
        outage(DAY + "05:10:00Z", DAY + "05:13:01Z"),
        outage(DAY + "06:20:00Z", DAY + "06:40:00Z"),
    ]
    rows = rows_of(text, outages, "2026-03-03T06:30:00Z")
    assert rows[("2026-03-03T00:00:00Z", "s.up")]["value"] == pytest.approx(22 / 24, rel=1e-12)
    assert rows[("2026-03-03T06:30:00Z", "s.up")]["value"] == pytest.approx(23 / 24, rel=1e-12)


def test_burn_rates_refuse_timeslices() -> None:
    burn = (
        "sla s { objective up = uptime(outages) >= 99% timeslices 1h good when >= 99%\n"
        " alert page when burn_rate(up, 1h) > 14 }\n"
    )
    with pytest.raises(slagraph.SlaCompileError, match="timeslices"):
        slagraph.compile(OUTAGES + burn)


def test_simulate_refuses_timeslices_rather_than_resampling_measured_time() -> None:
    text = (
        OUTAGES + "sla s { objective up = uptime(outages) >= 99% timeslices 1h good when >= 99% }\n"
    )
    model = slagraph.compile(text)
    data = {"outages": outages_table([outage(DAY + "01:00:00Z", DAY + "02:00:00Z")])}
    with pytest.raises(slagraph.SlaUsageError, match="timeslices"):
        model.simulate(data, runs=10)


def test_good_and_timeslices_stay_usable_as_names() -> None:
    """The clause's words are keywords only where the clause can start: an sla, an
    objective, an alert and columns may still be called `good` or `timeslices`."""
    model = slagraph.compile(
        "stream r { account: text, at: time, good: bool, timeslices: bool }\n"
        "sla good { window rolling 7d\n"
        " objective good = share(r where good and timeslices, good) >= 99% min 5\n"
        " objective other = share(r, timeslices) >= 90%\n"
        " alert good when burn_rate(good, 1h) > 2 }\n"
    )
    assert [o.name for o in model.ir.agreements["good"].objectives] == ["good", "other"]
