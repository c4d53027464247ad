"""Rolling deploys: when may each migration run, relative to rolling out the code?

During a rolling deploy the previous release keeps serving while, and after,
the migrations run. From the Django project state before and after every
operation, this package says whether the old code survives the new schema
and the new code the old one, gives every migration a phase
(``before-deploy``, ``after-deploy``, ``split``) with SR4xx findings and the
multi-release recipe, and orders a set of migrations into a deploy plan.
"""

from sqlreview.deploy.context import DeployContext, judge_operation
from sqlreview.deploy.verdict import (
    DeployModel,
    DeployPlan,
    MigrationPhase,
    OperationVerdict,
    Phase,
    deploy_plan,
    migration_phase,
)

__all__ = [
    "DeployContext",
    "DeployModel",
    "DeployPlan",
    "MigrationPhase",
    "OperationVerdict",
    "Phase",
    "deploy_plan",
    "judge_operation",
    "migration_phase",
]
