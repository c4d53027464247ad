"""What to do when the risky migration belongs to an installed package.

Whoever upgrades a dependency cannot edit its migrations (the next upgrade
would bring them back, and the package's later migrations expect them as
written): the usual advice ("use AddIndexConcurrently", "split the migration")
does not apply. What they can do is run the risky step by hand, in its safe
form and under the name the migration uses, before ``migrate``, and then
record the migration as applied with ``migrate --fake``. The advice is keyed
by rule code; a rule missing here keeps its usual advice, which does not ask to
change the migration.
"""

from __future__ import annotations

# Every by-hand recipe ends the same way.
_THEN_FAKE = (
    "then, once every other statement of that migration is done by hand as well "
    "(`manage.py sqlmigrate APP MIGRATION` prints them), record it with "
    "`manage.py migrate APP MIGRATION --fake` and go on with `migrate`. Do not edit the "
    "package's migration: the next upgrade brings it back, and its later migrations expect it "
    "as written.")

_BY_HAND = ("This migration belongs to an installed package: run this step by hand, in a safe "
            "form, before `migrate` (at a quiet hour, with `SET lock_timeout` so it gives up "
            "instead of queueing traffic behind it), " + _THEN_FAKE)

_SPLIT_BY_HAND = ("This migration belongs to an installed package, so it cannot be split: run its "
                  "statements by hand, each slow one in its own transaction, " + _THEN_FAKE)

_ROLL_OUT_AS_PLANNED = (
    "This migration belongs to an installed package, whose code and models change with the "
    "upgrade, not with yours: run `migrate` for it in the phase the deploy plan gives it "
    "(before or after rolling out the upgraded package; `--deploy-order` lists them), or as "
    "the package's release notes say, and upgrade in two releases when it is split.")

_TELL_THE_AUTHORS = ("This migration belongs to an installed package: nothing to change on your "
                     "side; report it to the package's authors.")

INSTEAD_FOR_PACKAGE: dict[str, str] = {
    "SR101": _BY_HAND,
    "SR102": _BY_HAND,
    "SR103": _BY_HAND,
    "SR104": _BY_HAND,
    "SR105": ("This migration belongs to an installed package: add the constraint by hand "
              "first, under the migration's name, as `ADD CONSTRAINT <name> ... NOT VALID`, "
              "then `VALIDATE CONSTRAINT <name>` (SHARE UPDATE EXCLUSIVE only); " + _THEN_FAKE),
    "SR106": ("This migration belongs to an installed package: add the foreign key by hand "
              "first, under the migration's name, as `ADD CONSTRAINT <name> FOREIGN KEY ... NOT "
              "VALID`, then `VALIDATE CONSTRAINT <name>`; " + _THEN_FAKE),
    "SR107": ("This migration belongs to an installed package: build the index first, by hand, "
              "under the name the migration gives it (`CREATE INDEX CONCURRENTLY <name> ON ...`, "
              "the statement shown with CONCURRENTLY, outside a transaction); " + _THEN_FAKE),
    "SR108": ("This migration belongs to an installed package: build the index first, by hand "
              "(`CREATE UNIQUE INDEX CONCURRENTLY <name> ON ...`, under the constraint's name), "
              "then `ALTER TABLE ... ADD CONSTRAINT <name> UNIQUE USING INDEX <name>` (metadata "
              "only); " + _THEN_FAKE),
    "SR109": ("This migration belongs to an installed package: drop the index first, by hand, "
              "with `DROP INDEX CONCURRENTLY <name>`; " + _THEN_FAKE),
    "SR110": _BY_HAND,
    "SR112": ("This migration belongs to an installed package: run `REINDEX ... CONCURRENTLY` by "
              "hand first; " + _THEN_FAKE),
    "SR116": _SPLIT_BY_HAND,
    "SR123": _BY_HAND,
    "SR201": ("This migration belongs to an installed package: set the timeout for the whole "
              "`migrate` run instead of in the migration, in the connection's options "
              "(`DATABASES[...][\"OPTIONS\"] = {\"options\": \"-c lock_timeout=5s\"}`, or "
              "`PGOPTIONS='-c lock_timeout=5s' manage.py migrate`), and run `migrate` again "
              "if it gives up."),
    "SR202": _SPLIT_BY_HAND,
    "SR205": ("This migration belongs to an installed package: set `statement_timeout` for the "
              "`migrate` run in the connection's options (`-c statement_timeout=...`, as for "
              "lock_timeout), or run the slow step by hand first, " + _THEN_FAKE),
    "SR301": ("This migration belongs to an installed package: its data migration runs as the "
              "package wrote it. Run `migrate` for it at a quiet hour, on its own (`manage.py "
              "migrate APP MIGRATION`), and check the package's release notes for the size it "
              "was written for."),
    "SR302": _SPLIT_BY_HAND,
    **dict.fromkeys(("SR401", "SR402", "SR403", "SR404", "SR405", "SR406", "SR407", "SR408",
                     "SR409", "SR410", "SR414", "SR415"), _ROLL_OUT_AS_PLANNED),
    **dict.fromkeys(("SR411", "SR412", "SR413"), _TELL_THE_AUTHORS),
}


__all__ = ["INSTEAD_FOR_PACKAGE"]
