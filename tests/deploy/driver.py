"""Judge the deploy-phase test project's migrations in a fresh process, as JSON.

Django can be configured once per process, so the tests run this:
``python -m tests.deploy.driver '{"model": "...", "sets": [[name, ...], ...]}'``.
No database is used: the migrations come from ``MigrationLoader(None)`` and
the states are built the way ``Migration.apply`` builds them (clone the
state, ``state_forwards`` the operation), each operation judged on the way.

The last line of stdout is ``{"alone": {name: MIGRATION_PHASE},
"sets": [{"phases": [...], "plan": PLAN}], "same_as_judge_migration": bool}``:
"alone" judges each migration as the only one of its deploy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent / "project"


def main(arguments: dict[str, Any]) -> dict[str, Any]:
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.state import ProjectState

    from sqlreview.deploy import DeployContext, DeployModel, deploy_plan

    model = DeployModel.parse(arguments.get("model", "migrate-then-rollout"))
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = loader.graph.forwards_plan(max(loader.graph.leaf_nodes()))
    sets = [set(names) for names in arguments.get("sets", [])]
    contexts = [DeployContext(model) for _ in sets]
    results: list[list[Any]] = [[] for _ in sets]
    alone: dict[str, Any] = {}
    same = True
    state = ProjectState(real_apps=loader.unmigrated_apps)
    _ = state.apps
    for key in plan:
        migration = loader.graph.nodes[key]
        checked, _end = DeployContext(model).judge_migration(migration, state)
        context = DeployContext(model)
        context.start(state)
        members = [c for c, names in zip(contexts, sets, strict=True) if key[1] in names]
        verdicts: list[list[Any]] = [[] for _ in range(1 + len(members))]
        for index, operation in enumerate(migration.operations):
            before = state.clone()
            operation.state_forwards(migration.app_label, state)
            for position, judge in enumerate([context, *members]):
                verdicts[position].append(
                    judge.judge(migration.app_label, operation, before, state, index)
                )
        phases = [_phase(migration, found, model) for found in verdicts]
        alone[key[1]] = phases[0].to_json()
        same = same and checked == phases[0]
        for phase, judge in zip(phases[1:], members, strict=True):
            results[contexts.index(judge)].append(phase)
    return {
        "alone": alone,
        "sets": [
            {"phases": [p.to_json() for p in phases], "plan": deploy_plan(phases, model).to_json(),
             "text": deploy_plan(phases, model).to_text()}
            for phases in results
        ],
        "same_as_judge_migration": same,
    }


def _phase(migration: Any, verdicts: list[Any], model: Any) -> Any:
    from sqlreview.deploy import migration_phase

    return migration_phase(
        verdicts,
        app_label=migration.app_label,
        name=migration.name,
        dependencies=[f"{app}.{name}" for app, name in migration.dependencies],
        model=model,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT))
    from sqlreview.django.setup import setup_django

    setup_django("deployproject.settings", str(PROJECT))
    print(json.dumps(main(json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}"))))
