"""Output for machines: JSON, and GitHub Actions annotations."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlreview.report import escape
from sqlreview.report.location import host_path
from sqlreview.results import Finding, Level, Review, Section, StatementResult

# GitHub shows at most 10 annotations of each level per step and drops the rest.
ANNOTATIONS_PER_LEVEL = 10
_LEVELS = ("error", "warning", "notice")


def render_json(review: Review, *, show: Level | None = None) -> str:
    return json.dumps(review.to_json(), indent=2) + "\n"


@dataclass(frozen=True)
class Annotation:
    level: str  # error, warning, notice
    title: str
    message: str
    file: str | None = None
    line: int | None = None

    def command(self) -> str:
        properties = []
        if self.file:
            properties.append(f"file={escape.workflow_property(self.file)}")
            if self.line is not None:
                properties.append(f"line={self.line}")
        properties.append(f"title={escape.workflow_property(self.title)}")
        message = self.message if len(self.message) <= 1_000 else self.message[:999] + "…"
        return f"::{self.level} {','.join(properties)}::{escape.workflow_data(message)}"


def annotation_level(severity: Level) -> str:
    if severity >= Level.HIGH:
        return "error"
    return "warning" if severity is Level.MEDIUM else "notice"


def render_github(review: Review, *, show: Level | None = None) -> str:
    """Workflow commands GitHub shows on the diff, within what it displays.

    Review warnings come first (a migration graph ``migrate`` refuses is worth
    more than any finding), then one annotation per finding code and migration
    or file, worst first; when GitHub's 10 per level cannot hold them all, a
    summary annotation says how many more there are."""
    notes = _notes(review)
    groups = _finding_groups(review)
    findings = [annotation for annotation, _count in groups]
    chosen, omitted = _cap(notes + findings)
    if omitted:
        total = sum(count for _annotation, count in groups)
        chosen = _with_summary(chosen, omitted, review, total)
    chosen.sort(key=lambda a: _LEVELS.index(a.level))
    lines = [annotation.command() for annotation in chosen]
    return escape.visible("\n".join(lines) + ("\n" if lines else ""))


def _notes(review: Review) -> list[Annotation]:
    notes = [Annotation("error", "sqlreview: input not reviewed", error)
             for error in review.errors]
    notes += [Annotation("warning", "sqlreview warning", warning) for warning in review.warnings]
    for section in review.sections:
        file = _file_of(section, section.statements[0]) if section.statements else None
        notes += [Annotation("warning", f"sqlreview warning: {section.title}", warning, file, 1)
                  for warning in section.warnings]
    return notes


def _finding_groups(review: Review) -> list[tuple[Annotation, int]]:
    """One annotation per (migration or file, code): its worst occurrence."""
    unit = "migration" if review.kind == "migrations" else "file"
    keyed: list[tuple[tuple[int, int, int], Annotation, int]] = []
    for number, section in enumerate(review.sections):
        keyed += _migration_annotations(section, number)
        by_code: dict[str, list[tuple[StatementResult, Finding]]] = {}
        for statement in section.statements:
            for finding in statement.findings:
                by_code.setdefault(finding.code, []).append((statement, finding))
        for code in sorted(by_code):
            occurrences = sorted(by_code[code], key=lambda item: (-item[1].severity,
                                                                  item[0].index))
            statement, finding = occurrences[0]
            message = f"{code} {finding.text}"
            if len(occurrences) > 1:
                lines = sorted({s.line for s, _f in occurrences[1:]})
                message += (f" (and {len(occurrences) - 1} more in this {unit}, line"
                            f"{'s' if len(lines) > 1 else ''} "
                            f"{', '.join(str(line) for line in lines[:10])}"
                            f"{' …' if len(lines) > 10 else ''})")
            if section.in_package:
                message += f" ({section.in_package})"
            annotation = Annotation(annotation_level(finding.severity),
                                    f"sqlreview {code} ({finding.severity.label})", message,
                                    _file_of(section, statement), statement.line)
            keyed.append(((-finding.severity, number, statement.index), annotation,
                          len(occurrences)))
    keyed.sort(key=lambda item: item[0])
    return [(annotation, count) for _key, annotation, count in keyed]


def _migration_annotations(section: Section, number: int
                           ) -> list[tuple[tuple[int, int, int], Annotation, int]]:
    """One annotation per finding about the migration as a whole, on its file's first line."""
    file = None if section.package is not None or section.analysis.file == "-" \
        else host_path(section.analysis.file)
    annotations = []
    for finding in section.findings:
        message = f"{finding.code} {finding.text} ({section.title})"
        if section.in_package:
            message += f" ({section.in_package})"
        annotation = Annotation(annotation_level(finding.severity),
                                f"sqlreview {finding.code} ({finding.severity.label})",
                                message, file, 1)
        annotations.append(((-finding.severity, number, -1), annotation, 1))
    return annotations


def _cap(annotations: list[Annotation]) -> tuple[list[Annotation], list[Annotation]]:
    chosen: list[Annotation] = []
    omitted: list[Annotation] = []
    used = dict.fromkeys(_LEVELS, 0)
    for annotation in annotations:
        if used[annotation.level] < ANNOTATIONS_PER_LEVEL:
            used[annotation.level] += 1
            chosen.append(annotation)
        else:
            omitted.append(annotation)
    return chosen, omitted


def _with_summary(chosen: list[Annotation], omitted: list[Annotation], review: Review,
                  total: int) -> list[Annotation]:
    """A summary annotation at the worst level that overflowed (it takes the place
    of that level's last annotation), else a notice."""
    level = min((a.level for a in omitted), key=_LEVELS.index, default="notice")
    same = [a for a in chosen if a.level == level]
    if len(same) >= ANNOTATIONS_PER_LEVEL:
        dropped = same[-1]
        chosen = [a for a in chosen if a is not dropped]
        omitted = [dropped, *omitted]
    shown = [a for a in chosen if a.title.startswith("sqlreview SR")]
    hidden = [a for a in omitted if a.title.startswith("sqlreview SR")]
    hidden_notes = len(omitted) - len(hidden)
    unit = "migration" if review.kind == "migrations" else "file"
    sections = len(review.sections)
    parts = [f"{total} finding{'s' if total != 1 else ''} in {sections} {unit}"
             f"{'s' if sections != 1 else ''}",
             f"{len(shown)} annotated here (the worst of each code per {unit})"]
    if hidden:
        parts.append(f"{len(hidden)} more finding annotation{'s' if len(hidden) != 1 else ''}"
                     f" not shown (GitHub shows {ANNOTATIONS_PER_LEVEL} per level)")
    if hidden_notes:
        parts.append(f"{hidden_notes} more warning{'s' if hidden_notes != 1 else ''} not shown")
    parts.append("the full list: sqlreview --format text (or json)")
    summary = Annotation(level, "sqlreview summary", "; ".join(parts))
    return [summary, *chosen]


def _file_of(section: Section, statement: StatementResult) -> str | None:
    """The file to annotate, from the repository's root: none for standard input, nor
    for an installed package's migration, whose file is not in the repository."""
    if statement.file == "-" or section.package is not None:
        return None
    return host_path(statement.file)
