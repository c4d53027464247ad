"""``sqlreview [targets]``: review Django migrations end to end.

select (``sqlreview.django.select``) → render (``sqlreview.django.run``) →
review (``sqlreview.review``) → report (``sqlreview.report``) and publish.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlreview.cli.io import check_output_path, emit, write_output
from sqlreview.cli.options import (
    HelpFormatter,
    add_report_options,
    default_pg_version,
    load_sizes,
    parse_arguments,
    project_config,
    terminal_options,
)
from sqlreview.cli.outcome import EXIT_CODES_HELP, exit_code, with_publishing
from sqlreview.config import PRE_STATES
from sqlreview.deploy import DeployModel, DeployPlan, deploy_plan
from sqlreview.django.errors import DjangoSetupError
from sqlreview.django.prestate import ReplayOptions
from sqlreview.django.timeouts import configured_timeouts
from sqlreview.errors import ExitCode, UsageError
from sqlreview.pg.analyzer import AnalyzerOptions
from sqlreview.progress import Progress
from sqlreview.publish import publish_review
from sqlreview.results import Review
from sqlreview.review import DeployOutcome, Sizes, finish
from sqlreview.review.migrations import build_review
from sqlreview.scratch.cache import default_cache_dir

if TYPE_CHECKING:
    from sqlreview.django.run import DjangoRender


def django_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlreview",
        description="Review the SQL of Django migrations before they reach production "
                    "PostgreSQL: the lock each statement takes, what it blocks, how long it "
                    "is held, whether it rewrites or scans, and what to do instead. "
                    "Other commands: `sqlreview sql` (raw SQL files), `sqlreview stats dump` "
                    "(a snapshot of production for --stats and --pre-state snapshot), "
                    "`sqlreview calibrate` (the throughput behind the estimates), "
                    "`sqlreview rule [CODE]` (what a finding code means); each has --help. "
                    "An app named like a command is reviewed as APP:0001.",
        epilog=EXIT_CODES_HELP, formatter_class=HelpFormatter)
    parser.add_argument(
        "targets", nargs="*", metavar="TARGET",
        help="app_label, app_label:0007 or app_label:0007_name (unique prefixes work as in "
             "sqlmigrate); default: the migrations not yet applied on --database")
    selection = parser.add_argument_group("selecting migrations")
    selection.add_argument("--all", action="store_true", dest="all_migrations",
                           help="every migration of the project's own apps")
    selection.add_argument(
        "--since", metavar="REF",
        help="review the migration files added or modified since the merge base of REF and "
             "the working tree (git; e.g. origin/main in a pull request, HEAD for "
             "uncommitted work), in migrate order")
    selection.add_argument("--include-third-party", action="store_true",
                           help="also review migrations of third-party and django.contrib apps")
    selection.add_argument("--database", default="default", metavar="ALIAS",
                           help="the database alias whose pending migrations are reviewed "
                                "(default: default); it is only read, never written")
    project = parser.add_argument_group("Django project")
    project.add_argument("--settings", metavar="MODULE",
                         help="settings module (default: $DJANGO_SETTINGS_MODULE)")
    project.add_argument("--pythonpath", metavar="DIR",
                         help="directory to add to the import path (default: the current one)")
    rendering = parser.add_argument_group("rendering")
    rendering.add_argument(
        "--mode", choices=("replay", "live"), default="replay",
        help="replay (default): render each migration on a scratch PostgreSQL brought to its "
             "parent state, then apply it there; live: render against the configured database "
             "without applying anything (exact for the first pending migration only)")
    rendering.add_argument(
        "--trace", action="store_true",
        help="replay only: also measure, on the scratch server, the locks and rewrites each "
             "statement really takes, show them beside the estimate and flag differences "
             "(SR004)")
    rendering.add_argument(
        "--scratch-url", metavar="URL", default=os.environ.get("SQLREVIEW_SCRATCH_URL"),
        help="a PostgreSQL server sqlreview may create databases on, for replay "
             "(default: an embedded throwaway server; env SQLREVIEW_SCRATCH_URL)")
    rendering.add_argument(
        "--pre-state", choices=PRE_STATES, default=os.environ.get("SQLREVIEW_PRE_STATE", "fast"),
        help="where replay gets the state before the first reviewed migration: fast "
             "(default: create the tables from Django's project state in one go where that is "
             "exact, replay the rest), replay (apply every earlier migration), database "
             "(restore the configured database's schema, read read-only with pg_dump), or "
             "snapshot (restore the schema a `stats dump` file given with --stats holds); "
             "env SQLREVIEW_PRE_STATE")
    rendering.add_argument(
        "--no-drift", dest="drift", action="store_false",
        help="with --pre-state database or snapshot: do not also build the pre-state from the "
             "migration files to compare (SR007); saves that build on an empty cache")
    rendering.add_argument(
        "--cache-dir", metavar="DIR", type=Path, default=None,
        help="keep prepared pre-states here and reuse them (default: $SQLREVIEW_CACHE_DIR or "
             "the user cache directory, e.g. ~/.cache/sqlreview; point CI's cache at it)")
    rendering.add_argument("--no-cache", action="store_true",
                           help="neither read nor write the pre-state cache")
    rendering.add_argument(
        "--scratch-alias", metavar="ALIAS", action="append", default=[],
        help="replay only: point this database alias at the scratch database too (a "
             "RunPython that reads another alias, e.g. a replica); repeatable; every other "
             "alias refuses to connect while replaying")
    rendering.add_argument(
        "--connect-timeout", metavar="SECONDS", type=int, default=None,
        help="give up connecting to a database after SECONDS (default 10; env "
             "SQLREVIEW_CONNECT_TIMEOUT)")
    deploys = parser.add_argument_group("rolling deploys")
    deploys.add_argument(
        "--deploy-model", choices=[model.value for model in DeployModel],
        default=os.environ.get("SQLREVIEW_DEPLOY_MODEL", DeployModel.MIGRATE_THEN_ROLLOUT.value),
        help="how your deploys run: migrate-then-rollout (default) or rollout-then-migrate "
             "(env SQLREVIEW_DEPLOY_MODEL); decides which incompatibility is reported")
    deploys.add_argument("--deploy-order", action="store_true",
                         help="print only the deploy plan of the reviewed migrations")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress report on stderr (one rewritten line on a terminal, "
                             "else a line every ~10 s)")
    add_report_options(parser)
    return parser


def run_review(argv: Sequence[str], *, configured: bool = False) -> int:
    """``sqlreview [targets]`` and ``manage.py sqlreview`` (``configured``: Django is set up)."""
    args = parse_arguments(django_parser(), argv)
    check_output_path(args.output)
    sizes = load_sizes(args)  # before rendering, which takes a while
    try:
        deploy_model = DeployModel.parse(args.deploy_model)
    except ValueError as error:
        raise UsageError(str(error)) from None
    rendered = render(args, sizes, deploy_model, configured=configured)
    plan = deploy_plan([m.deploy for m in rendered.migrations if m.deploy is not None],
                       deploy_model)
    review = review_rendered(rendered, args, sizes, plan)
    if args.deploy_order:
        write_output(plan.to_text() + "\n", args.output)
        return ExitCode.OK
    emit(review, args.format, args.output, show=args.show,
         terminal=terminal_options(args))
    if not review.sections:
        print("sqlreview: no migrations to review", file=sys.stderr)
    failed = publish_review(review, args, show=args.show)
    return with_publishing(exit_code(review, args.fail_on), failed,
                           publish_required=args.publish_required)


def render(args: argparse.Namespace, sizes: Sizes | None, deploy_model: DeployModel, *,
           configured: bool) -> DjangoRender:
    """Select and render the migrations the arguments name (Django set up first)."""
    if args.connect_timeout is not None:
        os.environ["SQLREVIEW_CONNECT_TIMEOUT"] = str(args.connect_timeout)
    progress = Progress.for_terminal(args.quiet)
    cache_dir = None if args.no_cache else args.cache_dir or default_cache_dir()
    replay = ReplayOptions(pre_state=args.pre_state, progress=progress, cache_dir=cache_dir,
                           deploy_model=deploy_model, scratch_aliases=tuple(args.scratch_alias),
                           production=sizes.snapshot.production_schema if sizes else None,
                           drift=args.drift)
    # The render side imports Django's migration machinery: only once the
    # settings are known (setup_django below, or manage.py before us).
    from sqlreview.django import (  # Django must be configured first
        SelectionRequest,
        render_migrations,
        setup_django,
    )

    try:
        if not configured:
            setup_django(args.settings, args.pythonpath)
        request = SelectionRequest(
            targets=tuple(args.targets),
            all_migrations=args.all_migrations,
            include_third_party=args.include_third_party,
            database=args.database,
            since=args.since,
            exclude=tuple(args.exclude),
            start_after=tuple(args.start_after),
        )
        return render_migrations(request, mode=args.mode, scratch_url=args.scratch_url,
                                 trace=args.trace, replay=replay)
    except DjangoSetupError as error:
        raise UsageError(str(error)) from None
    finally:
        if progress is not None:
            progress.finish()


def review_rendered(rendered: DjangoRender, args: argparse.Namespace, sizes: Sizes | None,
                    plan: DeployPlan) -> Review:
    """The review stage on the rendered migrations, every step after the analysis included."""
    timeouts = configured_timeouts(args.database)
    options = AnalyzerOptions(
        pg_version=args.pg_version or default_pg_version(),
        assume_lock_timeout=args.assume_lock_timeout,
        connection_lock_timeout=timeouts.lock_timeout is not None,
        connection_statement_timeout=timeouts.statement_timeout is not None,
    )
    review = build_review(rendered, options)
    if timeouts.any:
        review.settings.connection_timeouts = timeouts.to_json()
    review.settings.trace, review.settings.since = args.trace, args.since
    # Replayed tables are empty: the sizes (--stats) are the snapshot's.
    return finish(review, sizes=sizes, config=project_config(args),
                  deploy=DeployOutcome(plan, rendered.one_deploy),
                  lock_timeout_alias=rendered.database)
