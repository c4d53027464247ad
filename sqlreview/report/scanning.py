"""Code-scanning formats: SARIF 2.1.0 (GitHub code scanning) and GitLab Code
Quality. One result per finding, at the statement's file and line, with a
fingerprint that does not change when unrelated lines move."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from sqlreview import __version__
from sqlreview.pg import rules
from sqlreview.report import escape
from sqlreview.report.links import rule_url
from sqlreview.report.location import host_path, repository_path, repository_root
from sqlreview.results import Finding, Level, Review, StatementResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "sqlreview/v1"
# SARIF's name for the repository's root: result locations are relative to it.
SOURCE_ROOT = "SRCROOT"
MESSAGE_LIMIT = 1_000

_SARIF_LEVELS = {Level.LOW: "note", Level.MEDIUM: "warning", Level.HIGH: "error",
                 Level.CRITICAL: "error"}
_CODE_QUALITY_SEVERITIES = {Level.LOW: "minor", Level.MEDIUM: "major", Level.HIGH: "critical",
                            Level.CRITICAL: "blocker"}


@dataclass(frozen=True)
class Located:
    """A finding, its statement (None: about its migration as a whole), and where it
    is: a file of the repository, or (an installed package's migration) only a name."""

    statement: StatementResult | None
    finding: Finding
    fingerprint: str
    # "in package X, migration app.name": the migration has no file in the repository.
    in_package: str | None
    file: str = "-"
    line: int = 1

    @property
    def message(self) -> str:
        text = self.finding.text
        return f"{text} ({self.in_package})" if self.in_package else text


def findings(review: Review) -> Iterator[Located]:
    """Every finding with its statement and a fingerprint unique in the review.

    The fingerprint hashes the code, the file and the statement's SQL (not its
    line, which moves when the file is edited above it); repeats of the same
    triple are numbered in order."""
    seen: dict[str, int] = {}

    def fingerprint(key: str) -> str:
        ordinal = seen.get(key, 0)
        seen[key] = ordinal + 1
        return hashlib.sha256(f"{key}\0{ordinal}".encode()).hexdigest()[:32]

    for section in review.sections:
        for finding in section.findings:  # the migration's own: its file, no statement
            key = "\0".join((finding.code, section.analysis.file, section.title))
            yield Located(None, finding, fingerprint(key), section.in_package,
                          section.analysis.file)
        for statement in section.statements:
            for finding in statement.findings:
                key = "\0".join((finding.code, statement.file, escape.flat(statement.sql)))
                yield Located(statement, finding, fingerprint(key), section.in_package,
                              statement.file, statement.line)


def outside_repository(review: Review) -> int:
    """How many findings are in installed packages' migrations: they name no file
    of the repository, and Code Quality, which needs one, leaves them out."""
    return sum(1 for located in findings(review) if located.in_package)


# --- SARIF ------------------------------------------------------------------------------


def render_sarif(review: Review, *, show: Level | None = None) -> str:
    found = list(findings(review))
    # Only the rules the results use: the whole catalogue would be most of a
    # small report (GitHub reads the rules a result points at).
    used = {located.finding.code for located in found}
    described = [rule for rule in rules.RULES if rule.code in used]
    index = {rule.code: number for number, rule in enumerate(described)}
    results = [_sarif_result(located, index) for located in found]
    notifications = [_notification("error", text) for text in review.errors]
    notifications += [_notification("warning", text) for text in review.warnings]
    notifications += [_notification("warning", f"{section.title}: {text}")
                      for section in review.sections for text in section.warnings]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "sqlreview",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_sarif_rule(rule) for rule in described],
        }},
        "invocations": [{
            "executionSuccessful": not review.errors
            and not any(section.error for section in review.sections),
            "toolExecutionNotifications": notifications,
        }],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"pgVersion": review.pg_version, "kind": review.kind},
    }
    root = repository_root()
    if root is not None:
        run["originalUriBaseIds"] = {SOURCE_ROOT: {
            "uri": root.as_uri().rstrip("/") + "/",
            "description": {"text": "the root of the git repository"}}}
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def _sarif_rule(rule: rules.Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary} {rule.why}"},
        "help": {
            "text": f"{rule.why} Instead: {rule.instead}",
            "markdown": f"**{rule.code} `{rule.name}`**: {rule.summary}\n\n{rule.why}\n\n"
                        f"*Instead:* {rule.instead}",
        },
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
        "properties": {"tags": ["postgresql", "migrations"], "severity": rule.severity.label},
    }


def _sarif_result(located: Located, index: dict[str, int]) -> dict[str, Any]:
    statement, finding = located.statement, located.finding
    properties: dict[str, Any] = {"severity": finding.severity.label}
    if statement is not None:
        properties.update({"risk": statement.risk_label, "statement": statement.index,
                           "sql": statement.sql[:2000]})
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _SARIF_LEVELS[finding.severity],
        "message": {"text": _capped(located.message)},
        "partialFingerprints": {FINGERPRINT_KEY: located.fingerprint},
        "properties": properties,
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if located.in_package:
        # Named, never pointed at: the file is in site-packages, not in the repository.
        result["locations"] = [{"logicalLocations": [{
            "fullyQualifiedName": located.in_package, "kind": "module"}]}]
    elif located.file != "-":
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": _artifact_location(located.file),
            "region": {"startLine": max(1, located.line)},
        }}]
    return result


def _artifact_location(file: str) -> dict[str, str]:
    """In the repository: its path from the root, based on SRCROOT; elsewhere the file as
    the review names it (absolute: a file:// URI), never based on the repository."""
    in_repository = repository_path(file)
    if in_repository is not None:
        return {"uri": artifact_uri(in_repository), "uriBaseId": SOURCE_ROOT}
    return {"uri": artifact_uri(file)}


def _notification(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": _capped(text)}}


def _capped(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message, cut: an echoed syntax error can carry the rest of a big file."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def artifact_uri(path: str) -> str:
    """A relative path as a URI reference (``my dir/a.sql`` → ``my%20dir/a.sql``)."""
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return "file://" + quote(str(posix))
    return quote(str(posix))


# --- GitLab Code Quality --------------------------------------------------------------


def render_codequality(review: Review, *, show: Level | None = None) -> str:
    """One issue per finding in the repository's files. GitLab requires a path in
    the repository, which an installed package's migration does not have: those
    findings are left out (``outside_repository`` counts them; the CLI says so)."""
    issues = [{
        "description": _capped(f"{located.finding.code} {located.message}"),
        "check_name": located.finding.code,
        # The Code Climate spec's place for a longer explanation and links (GitLab shows
        # ``description``; other readers of the format show this).
        "content": {"body": _rule_link(located.finding.code)},
        "fingerprint": located.fingerprint,
        "severity": _CODE_QUALITY_SEVERITIES[located.finding.severity],
        "location": {"path": host_path(located.file),
                     "lines": {"begin": max(1, located.line)}},
    } for located in findings(review) if not located.in_package]
    return json.dumps(issues, indent=2) + "\n"


def _rule_link(code: str) -> str:
    rule = rules.RULES_BY_CODE.get(code)
    title = f"{code} {rule.name}" if rule else code
    return f"[{title}]({rule_url(code)})"


__all__ = ["Located", "artifact_uri", "findings", "outside_repository", "render_codequality",
           "render_sarif"]
