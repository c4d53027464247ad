"""Judge the deploy-phase test project's migrations in a fresh process, as JSON.

Django can be configured once per process, so the tests run this:
``python -m tests.deploy.driver '{"model": "...", "sets": [[label, ...], ...]}'``
(labels are ``app_label.name``; ``"project": "sample"`` reads sample_migrations/
instead of tests/deploy/project/).
No database is used: the migrations come from ``MigrationLoader(None)`` and
the states are built the way ``Migration.apply`` builds them (clone the
state, ``state_forwards`` the operation), each operation judged on the way.

The last line of stdout is ``{"alone": {label: MIGRATION_PHASE},
"sets": [{"phases": [...], "plan": PLAN}], "same_as_judge_migration": bool}``:
"alone" judges each migration as the only one of its deploy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
PROJECTS = {
    "deploy": (REPOSITORY / "tests" / "deploy" / "project", "deployproject.settings"),
    "sample": (REPOSITORY / "sample_migrations", "sampleproject.settings"),
}


def main(arguments: dict[str, Any]) -> dict[str, Any]:
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.state import ProjectState

    from sqlreview.deploy import DeployContext, DeployModel, deploy_plan

    model = DeployModel.parse(arguments.get("model", "migrate-then-rollout"))
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan.extend(key for key in loader.graph.forwards_plan(leaf) if key not in plan)
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
        label = f"{key[0]}.{key[1]}"
        members = [c for c, names in zip(contexts, sets, strict=True) if label in names]
        verdicts: list[list[Any]] = [[] for _ in range(1 + len(members))]
        for index, operation in enumerate(migration.operations):
            before = state.clone()
            operation.state_forwards(migration.app_label, state)
            for position, judge in enumerate([context, *members]):
                verdicts[position].append(
                    judge.judge(migration.app_label, operation, before, state, index)
                )
        phases = [_phase(migration, found, model) for found in verdicts]
        alone[label] = phases[0].to_json()
        same = same and checked == phases[0]
        for phase, judge in zip(phases[1:], members, strict=True):
            results[contexts.index(judge)].append(phase)
    return {
        "errors": _errors(state, model),
        "alone": alone,
        "sets": [
            {"phases": [p.to_json() for p in phases], "plan": deploy_plan(phases, model).to_json(),
             "text": deploy_plan(phases, model).to_text()}
            for phases in results
        ],
        "same_as_judge_migration": same,
    }


def _errors(state: Any, model: Any) -> dict[str, Any]:
    """Operations that cannot be judged, or not even applied to the state."""
    from django.db import migrations, models

    from sqlreview.deploy import DeployContext

    class UnreadableSql(migrations.RunSQL):
        @property
        def sql(self) -> Any:
            raise RuntimeError("cannot read the SQL")

        @sql.setter
        def sql(self, value: Any) -> None:
            pass

    unreadable = DeployContext(model).judge("shop", UnreadableSql(""), state, state)
    broken = migrations.Migration("0099_broken", "shop")
    broken.operations = [  # type: ignore[misc]  # Django's class attribute, per instance
        migrations.AddField("customer", "extra", models.IntegerField(null=True)),
        migrations.RemoveField("customer", "no_such_field"),
    ]
    phase, _ = DeployContext(model).judge_migration(broken, state)
    return {"unreadable": unreadable.to_json(), "broken": phase.to_json()}


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
    from sqlreview.django.setup import setup_django

    request = json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")
    directory, settings = PROJECTS[request.get("project", "deploy")]
    setup_django(settings, str(directory))
    print(json.dumps(main(request)))
