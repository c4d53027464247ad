"""Timeouts read from a DATABASES entry, and SR201 folded into one finding per review."""

from __future__ import annotations

from sqlreview.django.timeouts import (
    ConnectionTimeouts,
    report_lock_timeout_once,
    server_settings,
    timeouts_of,
)
from sqlreview.pg.learn import schema_from_sql
from sqlreview.results import Level, Review, Section
from sqlreview.suppress import suppress
from tests.report.cases import SCHEMA, migration


def test_libpq_options_are_read_in_every_spelling() -> None:
    assert server_settings(r"-c lock_timeout=3s -cstatement_timeout=1min --work-mem=4MB "
                           r"-c search_path=a\ b") == {
        "lock_timeout": "3s", "statement_timeout": "1min", "work_mem": "4MB",
        "search_path": "a b"}


def test_timeouts_come_from_options_else_pgoptions_and_zero_is_unset() -> None:
    options = {"OPTIONS": {"options": "-c lock_timeout=2s -c statement_timeout=0"}}
    assert timeouts_of(options, {"PGOPTIONS": "-c statement_timeout=9s"}) == ConnectionTimeouts(
        lock_timeout="2s", source="DATABASES OPTIONS['options']")
    assert timeouts_of({}, {"PGOPTIONS": "-c statement_timeout=9s"}) == ConnectionTimeouts(
        statement_timeout="9s", source="$PGOPTIONS")
    assert not timeouts_of({"OPTIONS": {"options": "-c lock_timeout=0"}}, {}).any


def add_column(table: str, column: str, line: int) -> tuple[str, int, str]:
    return (f"Add field {column}", line,
            f'ALTER TABLE "{table}" ADD COLUMN "{column}" integer NULL;')


def shop_review() -> Review:
    schema = schema_from_sql(SCHEMA)
    first, schema = migration("shop", "0002_a", [add_column("shop_order", "a", 10)], schema=schema)
    second, schema = migration("shop", "0003_b", [add_column("shop_order", "b", 10),
                                                  add_column("shop_product", "c", 14)],
                               schema=schema)
    third, _ = migration("shop", "0004_c", [add_column("shop_product", "d", 10)], schema=schema)
    return Review(pg_version=14, kind="migrations", sections=[first, second, third])


def sr201(section: Section) -> list[str]:
    return [f.message for s in section.statements for f in s.findings if f.code == "SR201"]


def test_sr201_is_kept_on_the_first_statement_naming_the_others() -> None:
    review = shop_review()
    report_lock_timeout_once(review, "primary")
    first, second, third = review.sections
    message, = sr201(first)
    assert sr201(second) == [] and sr201(third) == []
    assert "nor before 3 more statements of this review" in message
    assert 'DATABASES["primary"]["OPTIONS"]' in message
    assert message.endswith("(also missing in shop.0003_b (2 statements), shop.0004_c)")
    # The statements that lost it keep the risk of their ACCESS EXCLUSIVE.
    assert {s.risk for s in second.statements if s.kind == "ALTER TABLE"} == {Level.MEDIUM}


def test_a_suppressed_sr201_stays_where_it_was_suppressed() -> None:
    review = shop_review()
    first = review.sections[0]
    for statement in first.statements:
        suppress(statement, {"SR201": "our runner sets it"})
    report_lock_timeout_once(review)
    assert [f.suppressed for s in first.statements for f in s.findings
            if f.code == "SR201"] == ["our runner sets it"]
    # The first of the others carries it: the second statement of 0003 and 0004's.
    message, = sr201(review.sections[1])
    assert "nor before 2 more statements of this review" in message
    assert message.endswith("(also missing in shop.0003_b, shop.0004_c)")
    assert sr201(review.sections[2]) == []


def test_a_review_without_sr201_is_left_alone() -> None:
    review = Review(pg_version=14, kind="migrations", sections=[])
    report_lock_timeout_once(review)
    assert review.sections == []
