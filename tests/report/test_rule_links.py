"""Every machine format links a finding to its rule page, at the one base URL."""

from __future__ import annotations

import json

from sqlreview.report.links import RULES_BASE_URL, rule_url
from tests.report.cases import render


def test_the_rule_url_is_the_sites_directory_url() -> None:
    assert rule_url("SR103") == "https://sqlreview.readthedocs.io/en/latest/rules/SR103/"
    assert rule_url("SR103", "https://example.org/rules") == "https://example.org/rules/SR103/"


def test_sarif_rules_carry_their_help_uri() -> None:
    document = json.loads(render("shop_migrations", "sarif"))
    described = document["runs"][0]["tool"]["driver"]["rules"]
    assert described
    assert all(rule["helpUri"] == rule_url(rule["id"]) for rule in described)


def test_code_quality_issues_link_their_rule_in_the_content_body() -> None:
    issues = json.loads(render("shop_migrations", "codequality"))
    assert issues
    for issue in issues:
        assert f"]({RULES_BASE_URL}{issue['check_name']}/)" in issue["content"]["body"]
