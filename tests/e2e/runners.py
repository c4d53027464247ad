"""Run the CI recipes the way GitHub's runner and GitLab's runner run them, locally.

``run_composite_action`` reads ``action.yml`` and runs its ``run:`` steps with bash, as a
GitHub runner does: ``${{ }}`` expressions evaluated (inputs, ``github``, ``runner``,
``steps``, ``||`` and ``format()``), ``GITHUB_*`` variables, an event payload file,
``GITHUB_STEP_SUMMARY`` and per-step ``GITHUB_OUTPUT`` files, ``if:`` conditions;
``uses:`` steps (actions/cache, actions/setup-python) are not run, only recorded.
``run_gitlab_job`` runs a job of a GitLab CI file: its ``rules``, its ``variables``
(expanded as GitLab does), ``before_script`` and ``script`` in one bash that stops at the
first failing line.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


# --- GitHub expressions --------------------------------------------------------------------


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The subset of GitHub's expression language action.yml uses."""
    expression = expression.strip()
    alternatives = split_top_level(expression, "||")
    if len(alternatives) > 1:
        for alternative in alternatives:
            chosen = evaluate(alternative, context)
            if chosen:
                return chosen
        return chosen
    for operator in ("!=", "=="):
        sides = split_top_level(expression, operator)
        if len(sides) == 2:
            equal = evaluate(sides[0], context) == evaluate(sides[1], context)
            return equal if operator == "==" else not equal
    if expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1].replace("''", "'")
    if expression.startswith("format(") and expression.endswith(")"):
        template, *arguments = split_top_level(expression[len("format("):-1], ",")
        values = [str(evaluate(argument, context)) for argument in arguments]
        return str(evaluate(template, context)).format(*values)
    value: Any = context
    for part in expression.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "" if value is None else value


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split on ``separator`` outside quotes and parentheses."""
    parts, depth, quoted, start, index = [], 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(separator, index):
            parts.append(text[start:index].strip())
            index += len(separator)
            start = index
            continue
        index += 1
    parts.append(text[start:].strip())
    return parts


def interpolate(value: Any, context: Mapping[str, Any]) -> str:
    return EXPRESSION.sub(lambda match: str(evaluate(match.group(1), context)), str(value))


# --- a composite action ----------------------------------------------------------------------


@dataclass
class ActionRun:
    code: int
    log: str
    summary: str
    outputs: dict[str, str]
    skipped: list[str] = field(default_factory=list)  # the uses: steps not run


def read_outputs(path: Path) -> dict[str, str]:
    """A GITHUB_OUTPUT file: ``name=value`` lines (the heredoc form is not needed here)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_composite_action(action_dir: Path, *, inputs: Mapping[str, str], workspace: Path,
                         event: Mapping[str, Any], github: Mapping[str, str],
                         env: Mapping[str, str], runner_temp: Path) -> ActionRun:
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    defaults = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(defaults)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    event_path = runner_temp / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    summary = runner_temp / "step_summary.md"
    summary.touch()
    context: dict[str, Any] = {
        "inputs": {**defaults, **inputs},
        "github": {**github, "event": event, "workspace": str(workspace),
                   "action_path": str(action_dir)},
        "runner": {"os": "Linux", "temp": str(runner_temp)},
        "steps": {},
    }
    base_env = {**env, "GITHUB_ACTIONS": "true", "CI": "true", "RUNNER_TEMP": str(runner_temp),
                "GITHUB_WORKSPACE": str(workspace), "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_ACTION_PATH": str(action_dir), "GITHUB_STEP_SUMMARY": str(summary),
                **{f"GITHUB_{key.upper()}": value for key, value in github.items()
                   if key != "token"}}
    log, skipped, code = [], [], 0
    for number, step in enumerate(action["runs"]["steps"]):
        if "if" in step and not evaluate(step["if"], context):
            continue
        if "uses" in step:
            skipped.append(step["uses"])
            continue
        output_file = runner_temp / f"output_{number}"
        output_file.touch()
        step_env = {key: interpolate(value, context) for key, value in step.get("env", {}).items()}
        directory = workspace / interpolate(step.get("working-directory", "."), context)
        completed = run_bash(interpolate(step["run"], context),
                             {**base_env, **step_env, "GITHUB_OUTPUT": str(output_file)},
                             directory)
        log.append(completed.stdout)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": read_outputs(output_file)}
        if completed.returncode != 0:
            code = completed.returncode
            break
    outputs = {name: interpolate(spec["value"], context)
               for name, spec in action.get("outputs", {}).items()}
    return ActionRun(code, "".join(log), summary.read_text(encoding="utf-8"), outputs, skipped)


def run_bash(script: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``bash --noprofile --norc -eo pipefail`` as GitHub runs a step (stderr in the log)."""
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, env=dict(env), capture_output=False, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)


# --- a GitLab job ----------------------------------------------------------------------------


@dataclass
class JobRun:
    code: int
    log: str


def rules_allow(job: Mapping[str, Any], variables: Mapping[str, str]) -> bool:
    """The ``$VAR == "value"`` rules the template uses."""
    for rule in job.get("rules", [{}]):
        condition = rule.get("if")
        if condition is None:
            return True
        name, _operator, value = condition.partition("==")
        if variables.get(name.strip().lstrip("$")) == value.strip().strip('"'):
            return True
    return False


def expand(value: str, variables: Mapping[str, str]) -> str:
    """GitLab expands ``$VAR`` and ``${VAR}`` in variables' values."""
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                  lambda match: variables.get(match.group(1), match.group(0)), value)


def run_gitlab_job(ci_file: Path, job_name: str, *, predefined: Mapping[str, str],
                   overrides: Mapping[str, str], env: Mapping[str, str],
                   project_dir: Path) -> JobRun | None:
    """None when the job's rules keep it out of this pipeline."""
    job = yaml.safe_load(ci_file.read_text(encoding="utf-8"))[job_name]
    variables = dict(predefined)
    for name, value in {**job.get("variables", {}), **overrides}.items():
        variables[name] = expand(str(value), variables)
    if not rules_allow(job, variables):
        return None
    lines = [*job.get("before_script", []), *job["script"]]
    completed = subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(lines)],
                               cwd=project_dir, env={**env, **variables, "CI": "true"},
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=600)
    return JobRun(completed.returncode, completed.stdout)


__all__ = ["ActionRun", "JobRun", "evaluate", "run_composite_action", "run_gitlab_job"]
