"""What each kind of statement locks and costs, per PostgreSQL version.

This module is data. The classifier (``classify.py``) turns a parsed statement
into actions, each naming a *kind* (a row key below), a *variant* (the facts
that change the verdict, such as "volatile default") and the relations it
touches in each *role*. The analyzer looks the action up here. The documentation's
lock reference (docs/locks.md) is rendered from this table (``render_markdown()``), so the
code and the documentation cannot drift apart.

Sources: the PostgreSQL manual's pages for each command (the "lock" paragraphs
of ALTER TABLE, CREATE INDEX, REINDEX, ...), "Explicit Locking", and the
release notes of the version in ``since``/``until``. Every row that can be
observed on the test server is also checked against it (tests/truth/).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlreview.locking import LockMode
from sqlreview.pg.kinds import StatementKind
from sqlreview.results import Cost


class Role(enum.Enum):
    """How a relation takes part in an action."""

    TARGET = "target"  # the table (or view, sequence) the statement is about
    REFERENCED = "referenced"  # the other side of a foreign key
    PARENT = "parent"  # the partitioned (or inheritance) parent
    PARTITION = "partition"  # the partition being attached or detached
    SOURCE = "source"  # tables a query only reads
    INDEX = "index"  # the index the statement is about
    OWNED = "owned"  # sequences owned by the target's columns (or used by nextval)
    OWNER = "owner"  # the table owning the target sequence
    REFERENCING = "referencing"  # tables whose foreign keys point at the target
    CASCADED = "cascaded"  # referencing tables changed by ON DELETE CASCADE / SET NULL
    SCANNED = "scanned"  # relations a query reads in full (no lock of its own)
    DEFAULT_PARTITION = "default partition"  # the parent's DEFAULT partition: its bound changes
    DEPENDENT = "dependent"  # views (on views...) dropped along with the target
    WRITTEN = "written"  # tables a function body resolved at creation writes to


ACCESS_SHARE = LockMode.ACCESS_SHARE
ROW_SHARE = LockMode.ROW_SHARE
ROW_EXCLUSIVE = LockMode.ROW_EXCLUSIVE
SHARE_UPDATE_EXCLUSIVE = LockMode.SHARE_UPDATE_EXCLUSIVE
SHARE = LockMode.SHARE
SHARE_ROW_EXCLUSIVE = LockMode.SHARE_ROW_EXCLUSIVE
EXCLUSIVE = LockMode.EXCLUSIVE
ACCESS_EXCLUSIVE = LockMode.ACCESS_EXCLUSIVE

T = Role.TARGET
K = StatementKind  # the rows below are keyed by it


@dataclass(frozen=True)
class Entry:
    """One row: the effect of ``kind`` (in ``variant``) on ``[since, until)``."""

    kind: StatementKind
    variant: str = ""
    locks: Mapping[Role, LockMode] = field(default_factory=dict)
    cost: Cost = Cost.METADATA
    # Roles whose relations are read in full / get new storage. By default the
    # target's, when the cost says so.
    scans: frozenset[Role] | None = None
    rewrites: frozenset[Role] | None = None
    # Roles whose data is replaced by new empty storage; by default the target's
    # when the cost is NEW_STORAGE.
    empties: frozenset[Role] | None = None
    transactional: bool = True
    since: int | None = None
    until: int | None = None
    note: str = ""

    def applies_to(self, pg_version: int) -> bool:
        return (self.since is None or pg_version >= self.since) and (
            self.until is None or pg_version < self.until
        )

    @property
    def scanned_roles(self) -> frozenset[Role]:
        if self.scans is not None:
            return self.scans
        return frozenset({T}) if self.cost.reads_whole_table else frozenset()

    @property
    def rewritten_roles(self) -> frozenset[Role]:
        if self.rewrites is not None:
            return self.rewrites
        return frozenset({T}) if self.cost is Cost.REWRITE else frozenset()

    @property
    def emptied_roles(self) -> frozenset[Role]:
        if self.empties is not None:
            return self.empties
        return frozenset({T}) if self.cost is Cost.NEW_STORAGE else frozenset()

    @property
    def versions(self) -> str:
        if self.since and self.until:
            return f"{self.since} to {self.until - 1}"
        if self.since:
            return f"{self.since}+"
        if self.until:
            return f"< {self.until}"
        return "all"


AE = {T: ACCESS_EXCLUSIVE}
AE_OWNED = {T: ACCESS_EXCLUSIVE, Role.OWNED: ACCESS_EXCLUSIVE}
TYPE_CHANGE_LOCKS = {T: ACCESS_EXCLUSIVE, Role.OWNED: SHARE_ROW_EXCLUSIVE,
                     Role.REFERENCED: ACCESS_EXCLUSIVE, Role.REFERENCING: ACCESS_EXCLUSIVE}
QUERY_LOCKS = {T: ACCESS_SHARE, Role.SOURCE: ACCESS_SHARE, Role.OWNED: ROW_EXCLUSIVE}
DML_LOCKS = {T: ROW_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE, Role.OWNED: ROW_EXCLUSIVE,
             Role.REFERENCED: ROW_SHARE, Role.REFERENCING: ROW_SHARE,
             Role.CASCADED: ROW_EXCLUSIVE}
SUE = {T: SHARE_UPDATE_EXCLUSIVE}
SRE = {T: SHARE_ROW_EXCLUSIVE}
_T_AND_REF = frozenset({T, Role.REFERENCED})
_NO_ROLES: frozenset[Role] = frozenset()
# Queries: the classifier decides which relations are read in full (SCANNED).
_QUERY_SCANS = frozenset({Role.SCANNED})
# ATTACH PARTITION and CREATE TABLE ... PARTITION OF: the classifier puts the
# DEFAULT partition in SCANNED unless a CHECK of its own proves it holds no row
# of the new bound.
_ATTACH_SCANS = frozenset({Role.PARTITION, Role.SCANNED})
_DEFAULT_SCANS = frozenset({Role.SCANNED})
PARTITION_OF_LOCKS = {T: ACCESS_EXCLUSIVE, Role.PARENT: ACCESS_EXCLUSIVE,
                      Role.REFERENCED: SHARE_ROW_EXCLUSIVE,
                      Role.DEFAULT_PARTITION: ACCESS_EXCLUSIVE}
ATTACH_LOCKS = {T: SHARE_UPDATE_EXCLUSIVE, Role.PARTITION: ACCESS_EXCLUSIVE,
                Role.DEFAULT_PARTITION: ACCESS_EXCLUSIVE}
ATTACH_LOCKS_11 = {T: ACCESS_EXCLUSIVE, Role.PARTITION: ACCESS_EXCLUSIVE,
                   Role.DEFAULT_PARTITION: ACCESS_EXCLUSIVE}

KNOWLEDGE: tuple[Entry, ...] = (
    # --- ALTER TABLE: columns ---------------------------------------------------
    Entry(K.ALTER_TABLE_ADD_COLUMN, "", AE, Cost.METADATA,
          note="nullable, no default: catalog only"),
    Entry(K.ALTER_TABLE_ADD_COLUMN, "constant default", AE, Cost.REWRITE, until=11,
          note="every row gets the default written"),
    Entry(K.ALTER_TABLE_ADD_COLUMN, "constant default", AE, Cost.METADATA, since=11,
          note="the default is stored in the catalog, rows are not touched"),
    Entry(K.ALTER_TABLE_ADD_COLUMN, "volatile default", AE_OWNED, Cost.REWRITE,
          note="now(), random(), nextval() (serial), gen_random_uuid(): computed per row"),
    Entry(K.ALTER_TABLE_ADD_COLUMN, "identity", AE_OWNED, Cost.REWRITE,
          note="every row gets a value from the new sequence"),
    Entry(K.ALTER_TABLE_ADD_COLUMN, "stored generated", AE, Cost.REWRITE,
          note="the expression is computed and stored for every row"),
    Entry(K.ALTER_TABLE_ADD_COLUMN, "virtual generated", AE, Cost.METADATA, since=18,
          note="computed on read (PostgreSQL 18)"),
    Entry(K.ALTER_TABLE_ADD_COLUMN, "not null without default", AE, Cost.SCAN,
          note="fails on a table with rows; the check reads the table"),
    Entry(K.ALTER_TABLE_DROP_COLUMN, "",
          {T: ACCESS_EXCLUSIVE, Role.OWNED: ACCESS_EXCLUSIVE, Role.REFERENCED: ACCESS_EXCLUSIVE,
           Role.REFERENCING: ACCESS_EXCLUSIVE, Role.DEPENDENT: ACCESS_EXCLUSIVE}, Cost.METADATA,
          note="the column is hidden; space is reclaimed by later rewrites. CASCADE (as "
               "Django's RemoveField emits it) drops the views that read the column"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_TYPE, "", TYPE_CHANGE_LOCKS, Cost.REWRITE,
          scans=frozenset({T, Role.REFERENCED, Role.REFERENCING}),
          note="every row converted, every index on the table rebuilt, foreign keys "
               "on the column re-checked"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_TYPE, "binary coercible", TYPE_CHANGE_LOCKS, Cost.METADATA,
          note="varchar(n) to a larger n or text, numeric precision up, ..."),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_TYPE, "binary coercible, re-checked", TYPE_CHANGE_LOCKS,
          Cost.SCAN, note="no rewrite, but CHECK constraints on the column are re-validated"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_DEFAULT, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_DROP_DEFAULT, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_NOT_NULL, "", AE, Cost.SCAN,
          note="reads every row to prove there is no NULL"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_NOT_NULL, "proven by a valid CHECK", AE, Cost.METADATA,
          since=12, note="a validated CHECK (col IS NOT NULL) makes the scan unnecessary"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_NOT_NULL, "already NOT NULL", AE, Cost.METADATA,
          note="nothing to check"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_DROP_NOT_NULL, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_DROP_NOT_NULL, "already nullable", AE, Cost.METADATA,
          note="nothing to change: the partitions are not visited"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_STATISTICS, "", SUE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_ATTRIBUTE_OPTION, "", SUE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_RESET_ATTRIBUTE_OPTION, "", SUE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_STORAGE, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_COMPRESSION, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_ADD_IDENTITY, "", AE_OWNED, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_IDENTITY, "",
          {T: ACCESS_EXCLUSIVE, Role.OWNED: SHARE_ROW_EXCLUSIVE}, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_DROP_IDENTITY, "", AE_OWNED, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_EXPRESSION, "", AE, Cost.REWRITE, since=17),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_SET_EXPRESSION, "virtual", AE, Cost.METADATA, since=18,
          note="a virtual generated column is computed on read"),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_DROP_EXPRESSION, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ALTER_COLUMN_OPTIONS, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_RENAME_COLUMN, "", AE, Cost.METADATA,
          note="running code that uses the old name breaks"),
    # --- ALTER TABLE: constraints ------------------------------------------------
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_CHECK, "", AE, Cost.SCAN,
          note="reads every row to validate"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_CHECK, "NOT VALID", AE, Cost.METADATA,
          note="new rows are checked; existing rows wait for VALIDATE"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_CHECK, "NOT ENFORCED", AE, Cost.METADATA, since=18),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_NOT_NULL, "", AE, Cost.SCAN, since=18),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_NOT_NULL, "NOT VALID", AE, Cost.METADATA, since=18),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_UNIQUE, "", AE, Cost.INDEX_BUILD,
          note="builds the unique index while holding the lock"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_UNIQUE, "USING INDEX", AE, Cost.METADATA,
          note="adopts an index built beforehand, e.g. CONCURRENTLY"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_PRIMARY_KEY, "", AE, Cost.INDEX_BUILD),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_PRIMARY_KEY, "USING INDEX", AE, Cost.METADATA,
          note="columns must already be NOT NULL, or they are scanned"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_EXCLUDE, "", AE, Cost.INDEX_BUILD),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_FOREIGN_KEY, "",
          {T: SHARE_ROW_EXCLUSIVE, Role.REFERENCED: SHARE_ROW_EXCLUSIVE}, Cost.SCAN,
          scans=_T_AND_REF,
          note="blocks writes on both tables while every row is checked"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_FOREIGN_KEY, "on a new empty column",
          {T: SHARE_ROW_EXCLUSIVE, Role.REFERENCED: SHARE_ROW_EXCLUSIVE}, Cost.METADATA,
          note="ADD COLUMN ... REFERENCES without a default: every value is NULL, "
               "nothing to check"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_FOREIGN_KEY, "from a new empty table",
          {T: SHARE_ROW_EXCLUSIVE, Role.REFERENCED: SHARE_ROW_EXCLUSIVE}, Cost.METADATA,
          note="the check reads the referencing table (new, empty) and probes the "
               "referenced one by its index: no scan; the lock still blocks writes on the "
               "referenced table until COMMIT"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_FOREIGN_KEY, "NOT VALID",
          {T: SHARE_ROW_EXCLUSIVE, Role.REFERENCED: SHARE_ROW_EXCLUSIVE}, Cost.METADATA,
          note="brief; existing rows wait for VALIDATE"),
    Entry(K.ALTER_TABLE_ADD_CONSTRAINT_FOREIGN_KEY, "NOT ENFORCED",
          {T: SHARE_ROW_EXCLUSIVE, Role.REFERENCED: SHARE_ROW_EXCLUSIVE}, Cost.METADATA,
          since=18),
    Entry(K.ALTER_TABLE_VALIDATE_CONSTRAINT, "", SUE, Cost.SCAN,
          note="reads every row but lets reads and writes go on"),
    Entry(K.ALTER_TABLE_VALIDATE_CONSTRAINT, "already valid", SUE, Cost.METADATA,
          note="nothing to check"),
    Entry(K.ALTER_TABLE_VALIDATE_CONSTRAINT, "foreign key",
          {T: SHARE_UPDATE_EXCLUSIVE, Role.REFERENCED: ROW_SHARE}, Cost.SCAN,
          scans=_T_AND_REF),
    Entry(K.ALTER_TABLE_DROP_CONSTRAINT, "", {T: ACCESS_EXCLUSIVE,
                                              Role.REFERENCING: ACCESS_EXCLUSIVE},
          Cost.METADATA, note="CASCADE also drops foreign keys that depend on it"),
    Entry(K.ALTER_TABLE_DROP_CONSTRAINT, "foreign key",
          {T: ACCESS_EXCLUSIVE, Role.REFERENCED: ACCESS_EXCLUSIVE}, Cost.METADATA,
          note="removes the constraint's triggers on the referenced table too"),
    Entry(K.ALTER_TABLE_ALTER_CONSTRAINT, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_RENAME_CONSTRAINT, "", AE, Cost.METADATA),
    # --- ALTER TABLE: table-wide ---------------------------------------------------
    Entry(K.ALTER_TABLE_RENAME, "", AE, Cost.METADATA,
          note="running code that uses the old name breaks"),
    Entry(K.ALTER_TABLE_SET_SCHEMA, "", AE_OWNED, Cost.METADATA,
          note="owned sequences move along"),
    Entry(K.ALTER_TABLE_SET_STORAGE_PARAMETER, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_SET_STORAGE_PARAMETER, "weak parameter", SUE, Cost.METADATA,
          note="fillfactor, autovacuum_*, toast.*, parallel_workers and planner options"),
    Entry(K.ALTER_TABLE_RESET_STORAGE_PARAMETER, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_RESET_STORAGE_PARAMETER, "weak parameter", SUE, Cost.METADATA),
    Entry(K.ALTER_TABLE_SET_LOGGED, "", AE_OWNED, Cost.REWRITE),
    Entry(K.ALTER_TABLE_SET_UNLOGGED, "", AE_OWNED, Cost.REWRITE),
    Entry(K.ALTER_TABLE_SET_TABLESPACE, "", AE, Cost.REWRITE,
          note="copies the table's files"),
    Entry(K.ALTER_TABLE_SET_TABLESPACE, "no change", AE, Cost.METADATA,
          note="pg_default, where tables are unless told otherwise: nothing to copy"),
    Entry(K.ALTER_TABLE_SET_ACCESS_METHOD, "", AE, Cost.REWRITE, since=15),
    Entry(K.ALTER_TABLE_SET_ACCESS_METHOD, "no change", AE, Cost.METADATA, since=15,
          note="heap, the default access method: nothing to rewrite"),
    Entry(K.ALTER_TABLE_CLUSTER_ON, "", SUE, Cost.METADATA),
    Entry(K.ALTER_TABLE_SET_WITHOUT_CLUSTER, "", SUE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ENABLE_DISABLE_TRIGGER, "", SRE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ENABLE_DISABLE_RULE, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ROW_LEVEL_SECURITY, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_REPLICA_IDENTITY, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_OWNER_TO, "", AE_OWNED, Cost.METADATA),
    Entry(K.ALTER_TABLE_INHERIT, "", {T: ACCESS_EXCLUSIVE, Role.PARENT: SHARE_UPDATE_EXCLUSIVE},
          Cost.METADATA),
    Entry(K.ALTER_TABLE_NO_INHERIT, "",
          {T: ACCESS_EXCLUSIVE, Role.PARENT: ACCESS_SHARE}, Cost.METADATA),
    Entry(K.ALTER_TABLE_OF, "", AE, Cost.METADATA),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "", ATTACH_LOCKS_11, Cost.SCAN,
          scans=_ATTACH_SCANS, until=12),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "", ATTACH_LOCKS, Cost.SCAN,
          scans=_ATTACH_SCANS, since=12,
          note="reads the partition to check the bound, unless a CHECK proves it; a DEFAULT "
               "partition is locked too, and read unless a CHECK of its own proves it holds "
               "no row of the new bound"),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "bound proven by a CHECK", ATTACH_LOCKS,
          Cost.METADATA, since=12,
          note="a validated CHECK on the partition key implies the bound: no scan"),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "bound proven by a CHECK", ATTACH_LOCKS_11,
          Cost.METADATA, until=12),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "bound proven, reads the DEFAULT partition",
          ATTACH_LOCKS, Cost.SCAN, scans=_DEFAULT_SCANS, since=12,
          note="the partition is not read, but the DEFAULT partition is, under ACCESS "
               "EXCLUSIVE, to prove it holds no row of the new bound"),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "bound proven, reads the DEFAULT partition",
          ATTACH_LOCKS_11, Cost.SCAN, scans=_DEFAULT_SCANS, until=12),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "bound proven, builds indexes", ATTACH_LOCKS,
          Cost.INDEX_BUILD, scans=_ATTACH_SCANS, since=12,
          note="the partition lacks some of the parent's indexes: they are built now"),
    Entry(K.ALTER_TABLE_ATTACH_PARTITION, "bound proven, builds indexes", ATTACH_LOCKS_11,
          Cost.INDEX_BUILD, scans=_ATTACH_SCANS, until=12),
    Entry(K.ALTER_TABLE_DETACH_PARTITION, "",
          {T: ACCESS_EXCLUSIVE, Role.PARTITION: ACCESS_EXCLUSIVE,
           Role.DEFAULT_PARTITION: ACCESS_EXCLUSIVE}, Cost.METADATA,
          note="a DEFAULT partition's bound widens: it is locked too"),
    Entry(K.ALTER_TABLE_DETACH_PARTITION, "CONCURRENTLY",
          {T: SHARE_UPDATE_EXCLUSIVE, Role.PARTITION: ACCESS_EXCLUSIVE}, Cost.METADATA,
          transactional=False, since=14,
          note="SHARE UPDATE EXCLUSIVE on both while it waits for every transaction that "
               "used the parent; then ACCESS EXCLUSIVE on the partition, briefly, at the end "
               "(refused when the parent has a DEFAULT partition)"),
    Entry(K.ALTER_TABLE_OTHER, "", AE, Cost.METADATA,
          note="a subcommand sqlreview has no row for: assumed the strongest lock"),
    # --- indexes -------------------------------------------------------------------
    Entry(K.CREATE_INDEX, "", {T: SHARE}, Cost.INDEX_BUILD,
          note="blocks writes (not reads) for the whole build"),
    Entry(K.CREATE_INDEX, "already exists", {T: SHARE}, Cost.NONE,
          note="IF NOT EXISTS and the index is there: the lock is still taken"),
    Entry(K.CREATE_INDEX, "CONCURRENTLY", SUE, Cost.INDEX_BUILD, transactional=False,
          note="two scans, waits for running transactions; reads and writes go on"),
    Entry(K.DROP_INDEX, "", {T: ACCESS_EXCLUSIVE, Role.INDEX: ACCESS_EXCLUSIVE}, Cost.METADATA,
          note="locks the index's table"),
    Entry(K.DROP_INDEX, "CONCURRENTLY",
          {T: SHARE_UPDATE_EXCLUSIVE, Role.INDEX: SHARE_UPDATE_EXCLUSIVE}, Cost.METADATA,
          transactional=False,
          note="waits for every transaction using the table, but blocks no reads or writes; "
               "the index is locked ACCESS EXCLUSIVE only at the end, once no query can "
               "use it"),
    Entry(K.REINDEX, "", {T: SHARE, Role.INDEX: ACCESS_EXCLUSIVE}, Cost.INDEX_BUILD,
          note="blocks writes; queries that would use the index wait too"),
    Entry(K.REINDEX, "CONCURRENTLY", SUE, Cost.INDEX_BUILD, transactional=False, since=12),
    Entry(K.ALTER_INDEX_RENAME, "", {Role.INDEX: ACCESS_EXCLUSIVE}, Cost.METADATA, until=12),
    Entry(K.ALTER_INDEX_RENAME, "", {Role.INDEX: SHARE_UPDATE_EXCLUSIVE}, Cost.METADATA,
          since=12),
    Entry(K.ALTER_INDEX_SET_TABLESPACE, "", {Role.INDEX: ACCESS_EXCLUSIVE}, Cost.METADATA),
    Entry(K.ALTER_INDEX_ATTACH_PARTITION, "",
          {T: ACCESS_SHARE, Role.PARTITION: ACCESS_SHARE}, Cost.METADATA,
          note="attaches a partition's index to the partitioned index"),
    Entry(K.ALTER_INDEX_OTHER, "", {Role.INDEX: ACCESS_EXCLUSIVE}, Cost.METADATA),
    # --- tables, views, sequences ----------------------------------------------------
    Entry(K.CREATE_TABLE, "", {T: ACCESS_EXCLUSIVE, Role.REFERENCED: SHARE_ROW_EXCLUSIVE,
                               Role.OWNED: ACCESS_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE},
          Cost.METADATA, scans=_NO_ROLES, note="a new, empty table"),
    Entry(K.CREATE_TABLE, "PARTITION OF", PARTITION_OF_LOCKS, Cost.METADATA,
          note="locks the partitioned parent, and its DEFAULT partition"),
    Entry(K.CREATE_TABLE, "PARTITION OF, reads the DEFAULT partition", PARTITION_OF_LOCKS,
          Cost.SCAN, scans=_DEFAULT_SCANS,
          note="the DEFAULT partition is read, under ACCESS EXCLUSIVE, to prove it holds no "
               "row of the new bound (unless a CHECK of its own proves it)"),
    Entry(K.CREATE_TABLE_AS, "", {T: ACCESS_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE},
          Cost.DATA_CHANGE, scans=frozenset({Role.SOURCE})),
    Entry(K.DROP_TABLE, "",
          {T: ACCESS_EXCLUSIVE, Role.REFERENCED: ACCESS_EXCLUSIVE, Role.OWNED: ACCESS_EXCLUSIVE,
           Role.REFERENCING: ACCESS_EXCLUSIVE, Role.DEPENDENT: ACCESS_EXCLUSIVE,
           Role.PARENT: ACCESS_EXCLUSIVE, Role.DEFAULT_PARTITION: ACCESS_EXCLUSIVE},
          Cost.METADATA,
          note="also locks tables its foreign keys point at; CASCADE: tables whose foreign "
               "keys point at it (the keys are dropped) and views on it (dropped too); a "
               "partition: its parent and the parent's DEFAULT partition"),
    Entry(K.TRUNCATE, "", AE_OWNED, Cost.NEW_STORAGE,
          note="new empty storage, fast whatever the size; the data is gone. CASCADE: "
               "every table whose foreign keys lead to it, however indirectly"),
    Entry(K.CREATE_VIEW, "", {T: ACCESS_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE}, Cost.METADATA),
    Entry(K.CREATE_OR_REPLACE_VIEW, "", {T: ACCESS_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE},
          Cost.METADATA),
    Entry(K.ALTER_VIEW, "", AE, Cost.METADATA),
    Entry(K.DROP_VIEW, "", {T: ACCESS_EXCLUSIVE, Role.DEPENDENT: ACCESS_EXCLUSIVE},
          Cost.METADATA, note="CASCADE drops the views on it too"),
    Entry(K.CREATE_MATERIALIZED_VIEW, "",
          {T: ACCESS_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE}, Cost.DATA_CHANGE,
          scans=frozenset({Role.SOURCE})),
    Entry(K.CREATE_MATERIALIZED_VIEW, "WITH NO DATA",
          {T: ACCESS_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE}, Cost.METADATA,
          note="the query is planned, not run"),
    Entry(K.REFRESH_MATERIALIZED_VIEW, "", {T: ACCESS_EXCLUSIVE, Role.SOURCE: ACCESS_SHARE},
          Cost.REWRITE, scans=frozenset({T, Role.SOURCE}), note="blocks reads of the view"),
    Entry(K.REFRESH_MATERIALIZED_VIEW, "WITH NO DATA", AE, Cost.NEW_STORAGE,
          note="new empty storage: reads fail until the next refresh"),
    Entry(K.REFRESH_MATERIALIZED_VIEW, "CONCURRENTLY",
          {T: EXCLUSIVE, Role.SOURCE: ACCESS_SHARE}, Cost.DATA_CHANGE,
          scans=frozenset({T, Role.SOURCE}), rewrites=_NO_ROLES,
          note="reads go on; needs a unique index"),
    Entry(K.ALTER_MATERIALIZED_VIEW, "", AE, Cost.METADATA),
    Entry(K.DROP_MATERIALIZED_VIEW, "",
          {T: ACCESS_EXCLUSIVE, Role.DEPENDENT: ACCESS_EXCLUSIVE}, Cost.METADATA,
          note="CASCADE drops the views on it too"),
    Entry(K.CREATE_SEQUENCE, "", AE, Cost.METADATA),
    Entry(K.ALTER_SEQUENCE, "", {T: SHARE_ROW_EXCLUSIVE, Role.OWNER: ACCESS_SHARE},
          Cost.METADATA),
    Entry(K.ALTER_SEQUENCE_RENAME, "", AE, Cost.METADATA),
    Entry(K.DROP_SEQUENCE, "", {T: ACCESS_EXCLUSIVE, Role.OWNER: ACCESS_EXCLUSIVE},
          Cost.METADATA, note="CASCADE drops the owning column's default"),
    Entry(K.CREATE_TRIGGER, "", SRE, Cost.METADATA),
    Entry(K.DROP_TRIGGER, "", AE, Cost.METADATA),
    Entry(K.CREATE_RULE, "", AE, Cost.METADATA),
    Entry(K.DROP_RULE, "", AE, Cost.METADATA),
    Entry(K.CREATE_POLICY, "", AE, Cost.METADATA),
    Entry(K.ALTER_POLICY, "", AE, Cost.METADATA),
    Entry(K.DROP_POLICY, "", AE, Cost.METADATA),
    Entry(K.CREATE_STATISTICS, "", SUE, Cost.METADATA),
    Entry(K.COMMENT, "", SUE, Cost.METADATA),
    Entry(K.GRANT_REVOKE, "", {}, Cost.METADATA, note="no table lock"),
    Entry(K.GRANT_REVOKE_ON_TABLE, "", {T: ACCESS_SHARE}, Cost.METADATA),
    Entry(K.LOCK_TABLE, "", AE, Cost.NONE, note="the mode it names, ACCESS EXCLUSIVE if none"),
    # --- maintenance -------------------------------------------------------------------
    Entry(K.VACUUM, "", SUE, Cost.SCAN, scans=_NO_ROLES, transactional=False,
          note="reads the table (not counted as a sequential scan); reads and writes go on"),
    Entry(K.VACUUM_FULL, "", AE, Cost.REWRITE, transactional=False),
    Entry(K.ANALYZE, "", SUE, Cost.METADATA, scans=_NO_ROLES,
          note="reads a sample, not the whole table"),
    Entry(K.CLUSTER, "", AE, Cost.REWRITE),
    # --- data ----------------------------------------------------------------------------
    Entry(K.SELECT, "", QUERY_LOCKS, Cost.NONE, scans=_QUERY_SCANS,
          note="a query's scans are the planner's choice: sqlreview assumes a sequential "
               "scan unless the WHERE clause pins an indexed column"),
    Entry(K.SELECT, "FOR UPDATE/SHARE", {**QUERY_LOCKS, T: ROW_SHARE}, Cost.NONE,
          scans=_QUERY_SCANS),
    Entry(K.INSERT, "", DML_LOCKS, Cost.DATA_CHANGE, scans=_QUERY_SCANS,
          note="foreign keys checked at once lock the referenced rows (ROW SHARE)"),
    Entry(K.UPDATE, "", DML_LOCKS, Cost.DATA_CHANGE, scans=_QUERY_SCANS,
          note="with a WHERE clause: the rows it matches"),
    Entry(K.UPDATE, "all rows", DML_LOCKS, Cost.DATA_CHANGE, scans=_QUERY_SCANS,
          note="every row rewritten and locked until COMMIT"),
    Entry(K.DELETE, "", DML_LOCKS, Cost.DATA_CHANGE, scans=_QUERY_SCANS),
    Entry(K.DELETE, "all rows", DML_LOCKS, Cost.DATA_CHANGE, scans=_QUERY_SCANS),
    Entry(K.MERGE, "", DML_LOCKS, Cost.DATA_CHANGE, scans=_QUERY_SCANS, since=15),
    # --- no table lock -------------------------------------------------------------------
    Entry(K.CREATE_TYPE, "", {}, Cost.NONE),
    Entry(K.ALTER_TYPE, "", {}, Cost.NONE),
    Entry(K.ALTER_TYPE_ADD_VALUE, "", {}, Cost.NONE, transactional=False, until=12,
          note="cannot run inside a transaction block before PostgreSQL 12"),
    Entry(K.ALTER_TYPE_ADD_VALUE, "", {}, Cost.NONE, since=12,
          note="the new value cannot be used before COMMIT"),
    Entry(K.DROP_TYPE, "", {}, Cost.NONE),
    Entry(K.CREATE_EXTENSION, "", {}, Cost.NONE, note="what its script does is not analysed"),
    Entry(K.DROP_EXTENSION, "", {}, Cost.NONE),
    Entry(K.CREATE_FUNCTION, "", {}, Cost.NONE,
          note="PL/pgSQL and other bodies are only checked for syntax"),
    Entry(K.CREATE_FUNCTION, "SQL body", {Role.SOURCE: ACCESS_SHARE, Role.WRITTEN: ROW_EXCLUSIVE},
          Cost.NONE,
          note="BEGIN ATOMIC / RETURN bodies, and LANGUAGE sql strings while "
               "check_function_bodies is on (no polymorphic argument): the body is analysed, "
               "locking the tables it reads (and writes)"),
    Entry(K.DROP_FUNCTION, "", {}, Cost.NONE),
    Entry(K.CREATE_SCHEMA, "", {}, Cost.NONE),
    Entry(K.DROP_SCHEMA, "", {}, Cost.NONE),
    Entry(K.DROP_SCHEMA, "CASCADE", AE, Cost.METADATA,
          note="drops, and locks, every relation in the schema"),
    Entry(K.DO, "", {}, Cost.UNKNOWN, note="an anonymous code block: opaque to sqlreview"),
    Entry(K.CALL, "", {}, Cost.UNKNOWN, note="a procedure: opaque to sqlreview"),
    Entry(K.SET, "", {}, Cost.NONE),
    Entry(K.RESET, "", {}, Cost.NONE),
    Entry(K.SHOW, "", {}, Cost.NONE),
    Entry(K.TRANSACTION, "", {}, Cost.NONE, note="BEGIN, COMMIT, ROLLBACK, SAVEPOINT"),
    Entry(K.SET_CONSTRAINTS, "", {}, Cost.NONE,
          note="IMMEDIATE runs pending deferred checks now"),
    Entry(K.CREATE_DATABASE, "", {}, Cost.NONE, transactional=False),
    Entry(K.DROP_DATABASE, "", {}, Cost.NONE, transactional=False),
    Entry(K.ALTER_SYSTEM, "", {}, Cost.NONE, transactional=False),
    Entry(K.NO_OP, "", {}, Cost.NONE, note="IF [NOT] EXISTS with nothing to do"),
    Entry(K.OTHER, "", {}, Cost.UNKNOWN,
          note="a statement kind sqlreview has no row for: review it by hand"),
)


class UnknownKind(LookupError):
    pass


def lookup(kind: StatementKind, variant: str, pg_version: int) -> Entry:
    """The row for ``kind``/``variant`` on ``pg_version``; falls back to the plain variant."""
    entry = _lookup(kind, variant, pg_version)
    if entry is None:
        raise UnknownKind(
            f"no knowledge for {str(kind)!r} ({variant!r}) on PostgreSQL {pg_version}"
        )
    return entry


@functools.cache
def _lookup(kind: StatementKind, variant: str, pg_version: int) -> Entry | None:
    for wanted in (variant, ""):
        for entry in _ROWS.get((kind, wanted), ()):
            if entry.applies_to(pg_version):
                return entry
    return None


@functools.cache
def introduced_in(kind: StatementKind, variant: str, pg_version: int) -> int | None:
    """The PostgreSQL version that brought ``kind``/``variant``, when it is newer than
    ``pg_version`` (so the statement fails there); None when it exists on it."""
    rows = _ROWS.get((kind, variant), ())
    if not rows or any(row.applies_to(pg_version) for row in rows):
        return None
    newer = [row.since for row in rows if row.since is not None and row.since > pg_version]
    return min(newer) if len(newer) == len(rows) else None


def _rows_by_kind() -> dict[tuple[StatementKind, str], tuple[Entry, ...]]:
    rows: dict[tuple[StatementKind, str], list[Entry]] = {}
    for entry in KNOWLEDGE:
        rows.setdefault((entry.kind, entry.variant), []).append(entry)
    return {key: tuple(entries) for key, entries in rows.items()}


_ROWS = _rows_by_kind()


def render_markdown() -> str:
    """The lock reference table for docs/locks.md."""
    lines = [
        "| Statement | Variant | Lock on the table | Other locks | Cost | PostgreSQL | Notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in KNOWLEDGE:
        target = entry.locks.get(T) or entry.locks.get(Role.INDEX)
        others = ", ".join(
            f"{role.value}: {mode.sql_name}"
            for role, mode in entry.locks.items()
            if role is not T and not (role is Role.INDEX and T not in entry.locks)
        )
        note = entry.note
        if not entry.transactional:
            note = "not in a transaction block" + (f"; {note}" if note else "")
        lines.append(
            f"| {entry.kind} | {entry.variant or '—'} | "
            f"{target.sql_name if target else '—'} | {others or '—'} | {entry.cost.value} | "
            f"{entry.versions} | {note} |"
        )
    return "\n".join(lines)


# --- function volatility ---------------------------------------------------------
# A column default is evaluated once (PG 11+) unless it is volatile. Built-in
# functions seen in defaults, by volatility; any other function is assumed
# volatile, so the verdict errs on the side of a rewrite.
VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "random_normal",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "nextval",
        "setval",
        "txid_current",
        "pg_current_xact_id",
    }
)
NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "statement_timestamp",
        "transaction_timestamp",
        "current_date",
        "current_timestamp",
        "localtimestamp",
        "lower",
        "upper",
        "coalesce",
        "concat",
        "length",
        "to_jsonb",
        "jsonb_build_object",
        "jsonb_build_array",
        "json_build_object",
        "array",
        "make_date",
        "make_interval",
        "md5",
        "abs",
        "round",
        "trim",
        "btrim",
        "replace",
        "substring",
        "left",
        "right",
        "date_trunc",
        "timezone",
        "to_char",
        "to_timestamp",
        "to_date",
    }
)

# Storage parameters that ALTER TABLE SET/RESET changes under SHARE UPDATE
# EXCLUSIVE rather than ACCESS EXCLUSIVE (manual, ALTER TABLE, "SET").
WEAK_STORAGE_PARAMETERS_PREFIXES = ("autovacuum_", "toast.", "toast_tuple_target")
WEAK_STORAGE_PARAMETERS = frozenset(
    {
        "fillfactor",
        "parallel_workers",
        "vacuum_index_cleanup",
        "vacuum_truncate",
        "log_autovacuum_min_duration",
        "user_catalog_table",
        "toast_tuple_target",
    }
)
