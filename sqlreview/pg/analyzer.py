"""The statement analyzer: SQL in, one ``StatementResult`` per statement out.

For every statement: parse (``parse.py``), classify into actions
(``classify.py``), look each action up in the knowledge table
(``knowledge.py``), account for the transaction it runs in (locks are held
until COMMIT), run the checks (``checks.py``), grade the risk, and finally
let the schema model learn from the statement so the next one is judged
against the schema it will really meet.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import TransactionStmtKind, VariableSetKind

from sqlreview.locking import LockMode
from sqlreview.pg import knowledge
from sqlreview.pg.checks import (
    ResolvedAction,
    StatementFacts,
    run_checks,
    version_gated_syntax,
)
from sqlreview.pg.classify import Action, Classified, Context, Session, classify
from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.learn import learn
from sqlreview.pg.parse import ParsedStatement, iter_statements
from sqlreview.pg.rules.input import SR001, SR002
from sqlreview.pg.rules.transactions import SR202, SR203, SR204
from sqlreview.pg.schema import RelationKind, Schema, key_of
from sqlreview.pg.work import OPAQUE, work_items
from sqlreview.results import (
    Cost,
    Level,
    LockEntry,
    SqlAnalysis,
    StatementResult,
    TransactionHold,
)

_TOO_DEEP = "nested too deeply for sqlreview to analyse: review it by hand"

_OFF = frozenset({"off", "false", "0", "no", "of", "f", "n"})

_UTC_NAMES = frozenset({"utc", "etc/utc", "gmt", "etc/gmt", "uct", "universal", "zulu", "z"})


@dataclass(frozen=True)
class AnalyzerOptions:
    pg_version: int
    # The migration runner or the database role sets lock_timeout (SR201 off).
    assume_lock_timeout: bool = False
    # The schema was replayed from the migrations (Django replay): what it lacks
    # may exist in production (IF EXISTS is judged as if it did).
    replayed_schema: bool = False
    # False for the migrations of an installed package: design rules are silent.
    own_code: bool = True
    # Every connection starts with these set (Django: the alias's OPTIONS); RESET
    # returns to them.
    connection_lock_timeout: bool = False
    connection_statement_timeout: bool = False
    # The caller judges rolling-deploy concerns itself (Django's deploy verdicts):
    # the rules that judge them from the SQL alone are silent, except for SQL fed
    # with ``run_by_code`` (no verdict judges what a RunPython executed).
    rolling_deploy_judged: bool = False

    def session_at_connect(self) -> Session:
        return Session(lock_timeout=self.connection_lock_timeout,
                       statement_timeout=self.connection_statement_timeout)


@dataclass
class _Transaction:
    started_at: int
    # The session as it was at BEGIN: ROLLBACK restores it, and so does COMMIT
    # for what SET LOCAL changed.
    session_at_begin: Session
    holds: list[TransactionHold] = field(default_factory=list)
    members: list[StatementResult] = field(default_factory=list)
    local_settings: set[str] = field(default_factory=set)
    # Indexes dropped in the transaction: their lock adds nothing to the table's.
    dropped_indexes: set[str] = field(default_factory=set)


class Analyzer:
    """Analyses statements one after another, keeping schema, session and
    transaction state between them. ``analyze_sql`` is the one-shot form."""

    def __init__(self, options: AnalyzerOptions, schema: Schema | None = None,
                 file: str = "-") -> None:
        self.options = options
        self.schema = schema.copy() if schema is not None else Schema()
        self.session = options.session_at_connect()
        self.file = file
        self.results: list[StatementResult] = []
        self.holds: list[TransactionHold] = []
        self._transaction: _Transaction | None = None

    # --- feeding ---------------------------------------------------------------

    def feed(self, sql: str, *, operation: str | None = None, line_offset: int = 0,
             hand_written: bool = False, run_by_code: bool = False) -> list[StatementResult]:
        """Analyse every statement of ``sql``. ``hand_written``: SQL a person wrote
        for Django to run as is (``RunSQL``), not SQL Django's schema editor emitted;
        ``run_by_code``: SQL that code executed (a ``RunPython``), not an operation's own."""
        deploy_judged = self.options.rolling_deploy_judged and not run_by_code
        produced = []
        for parsed in iter_statements(sql):
            produced.append(self._analyze(parsed, operation, line_offset, hand_written,
                                          deploy_judged))
        return produced

    def feed_opaque(self, description: str, *, operation: str | None = None,
                    note: str = "") -> StatementResult:
        """Code sqlreview cannot see into (a Django ``RunPython``): it may read
        and write any table, for as long as it takes."""
        result = self._new_result(description, 1, operation)
        result.kind = "PYTHON"
        result.cost = Cost.UNKNOWN
        result.work = (OPAQUE,)
        result.actions = [description]
        if note:
            result.notes.append(note)
        self._account_slow_statement(result)
        self.schema.forget_emptiness()
        result.base_risk = Level.MEDIUM  # it may do anything, for any time
        result.risk = max([result.base_risk, *(f.severity for f in result.findings)])
        self.results.append(result)
        if self._transaction is not None:
            self._transaction.members.append(result)
        return result

    def feed_inert(self, description: str, *, operation: str | None = None,
                   note: str = "") -> StatementResult:
        """A row for code that is known to do no work of its own (``RunPython.noop``,
        or Python whose every statement is analysed in the rows after it)."""
        result = self._new_result(description, 1, operation)
        result.kind = "PYTHON"
        result.cost = Cost.NONE
        result.actions = [description]
        if note:
            result.notes.append(note)
        result.base_risk = result.risk = Level.LOW
        self.results.append(result)
        if self._transaction is not None:
            self._transaction.members.append(result)
        return result

    def record_failure(self, message: str) -> StatementResult:
        """A row for something that could not be rendered at all (SR002)."""
        result = self._new_result(f"-- not rendered: {message}", 1, None)
        result.kind = "ERROR"
        result.cost = Cost.UNKNOWN
        result.work = (OPAQUE,)
        result.risk = None
        result.error = message
        result.findings.append(SR002.finding(message))
        self.results.append(result)
        return result

    def finish(self) -> SqlAnalysis:
        if self._transaction is not None:
            begin = self.results[self._transaction.started_at]
            begin.findings.append(SR204.finding(
                f"the transaction opened at statement {begin.index} is never committed"))
            self._close_transaction(released_at=None)
        return SqlAnalysis(file=self.file, pg_version=self.options.pg_version,
                           statements=self.results, holds=self.holds)

    # --- one statement -------------------------------------------------------------

    def _new_result(self, sql: str, line: int, operation: str | None) -> StatementResult:
        return StatementResult(index=len(self.results), sql=sql, file=self.file, line=line,
                               operation=operation,
                               in_transaction=self._transaction is not None)

    def _analyze(self, parsed: ParsedStatement, operation: str | None,
                 line_offset: int = 0, hand_written: bool = False,
                 deploy_judged: bool = False) -> StatementResult:
        result = self._new_result(parsed.text, parsed.line + line_offset, operation)
        if parsed.node is None:
            self._record_unparsed(result, parsed.error_message(line_offset))
            return result
        context = Context(self.schema, self.session, self.options.pg_version,
                          self.options.replayed_schema)
        try:
            classified = classify(parsed.node, context)
        except RecursionError:  # the parser allows nesting 10 times deeper than Python
            self._record_unparsed(result, _TOO_DEEP)
            return result
        resolved = [self._resolve(action) for action in classified.actions]
        self._describe(result, classified, resolved)
        result.work = work_items(result, resolved)
        self._transaction_before(parsed.node, result, resolved)
        result.findings.extend(run_checks(StatementFacts(
            resolved, self.session, self.options.pg_version, self.options.assume_lock_timeout,
            node=parsed.node, sql=parsed.text, schema=self.schema,
            in_transaction=self._transaction is not None, hand_written=hand_written,
            own_code=self.options.own_code, rolling_deploy_judged=deploy_judged)))
        result.findings.extend(version_gated_syntax(parsed.node, self.options.pg_version))
        self._account_slow_statement(result)
        result.base_risk = _base_grade(result, resolved)
        result.risk = max([result.base_risk, *(finding.severity for finding in result.findings)])
        self.results.append(result)
        self._track_locks(result)
        self._transaction_after(parsed.node, result)
        self._update_session(parsed.node, hand_written)
        indexes = [lock.relation for lock in result.locks if self._is_index(lock.relation)]
        try:
            learn(self.schema, parsed.node)
        except RecursionError:
            result.notes.append(f"{_TOO_DEEP}: what it changes in the schema is not known")
        self._note_new_relations(result)
        if result.cost is Cost.UNKNOWN:  # a DO block or a procedure may fill any table
            self.schema.forget_emptiness()
        if self._transaction is not None:
            self._transaction.dropped_indexes.update(
                name for name in indexes if self.schema.get(key_of(name)) is None)
        return result

    def _is_index(self, name: str) -> bool:
        relation = self.schema.get(key_of(name))
        return relation is not None and relation.kind is RelationKind.INDEX

    def _record_unparsed(self, result: StatementResult, error: str) -> None:
        result.error = error
        result.kind = "UNPARSED"
        result.cost = Cost.UNKNOWN
        result.work = (OPAQUE,)
        result.risk = None
        result.findings.append(SR001.finding(error))
        self.results.append(result)
        if self._transaction is not None:
            self._transaction.members.append(result)

    def _resolve(self, action: Action) -> ResolvedAction:
        try:
            entry = knowledge.lookup(action.kind, action.variant, self.options.pg_version)
        except knowledge.UnknownKind:
            entry = knowledge.lookup(StatementKind.OTHER, "", self.options.pg_version)
        existing = frozenset(
            name
            for names in action.relations.values()
            for name in names
            if self._pre_exists(name, action)
        )
        return ResolvedAction(action, entry, existing)

    def _pre_exists(self, name: str, action: Action) -> bool:
        if name in action.creates:
            return False
        return not self.schema.is_new(key_of(name))

    def _describe(self, result: StatementResult, classified: Classified,
                  resolved: list[ResolvedAction]) -> None:
        result.kind = classified.kind
        result.actions = [r.action.description for r in resolved if r.action.description]
        locks: dict[str, LockEntry] = {}
        for r in resolved:
            for role, mode in r.locks():
                for name in r.action.related(role):
                    current = locks.get(key_of(name))
                    if current is None or mode > current.mode:
                        locks[key_of(name)] = LockEntry(current.relation if current else name, mode)
            _extend_unique(result.scans, *self._with_storage(
                _names_in_roles(r, r.entry.scanned_roles)))
            _extend_unique(result.rewrites, *self._with_storage(
                _names_in_roles(r, r.entry.rewritten_roles)))
            _extend_unique(result.emptied, *self._with_storage(
                _names_in_roles(r, r.entry.emptied_roles)))
            _extend_unique(result.notes, *r.action.notes)
            new = [n for names in r.action.relations.values() for n in names
                   if n not in r.existing]
            _extend_unique(result.new_relations, *new)
        result.locks = list(locks.values())
        costs = [r.entry.cost for r in resolved] or [Cost.NONE]
        result.cost = max(costs, key=lambda cost: cost.rank)

    def _note_new_relations(self, result: StatementResult) -> None:
        """After the schema learnt the statement: what it created is known, with or
        without rows (CREATE TABLE AS fills it, CREATE TABLE does not)."""
        known = [name for name in result.new_relations
                 if self.schema.get(key_of(name)) is not None]  # not dropped again
        empty = [name for name in known if not self._has_rows(name)]
        filled = [name for name in known if name not in empty]
        if empty:
            result.notes.append(f"created in this input, empty and unused: {', '.join(empty)}")
        if filled:
            result.notes.append(f"created in this input from a query (it holds rows; nobody "
                                f"uses it yet): {', '.join(filled)}")

    def _with_storage(self, names: list[str]) -> list[str]:
        """Partitioned tables and views have no data of their own to scan or rewrite."""
        return [name for name in names if self.schema.has_storage(key_of(name))]

    # --- transactions ------------------------------------------------------------------

    def _transaction_before(self, node: ast.Node, result: StatementResult,
                            resolved: list[ResolvedAction]) -> None:
        if self._transaction is None:
            return
        for r in resolved:
            if not r.entry.transactional:
                result.findings.append(SR203.finding(
                    f"{_spelled(r.action)} cannot run inside a transaction block (this one "
                    f"opened at statement {self._transaction.started_at}): PostgreSQL "
                    "rejects it"))

    def _transaction_after(self, node: ast.Node, result: StatementResult) -> None:
        if not isinstance(node, ast.TransactionStmt):
            if self._transaction is not None:
                self._transaction.members.append(result)
            return
        kind = node.kind
        if kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START):
            if self._transaction is None:
                self._transaction = _Transaction(
                    started_at=result.index, session_at_begin=dataclasses.replace(self.session))
                result.in_transaction = True
            else:
                result.notes.append("already inside a transaction: PostgreSQL ignores this "
                                    "BEGIN with a warning")
        elif kind in (TransactionStmtKind.TRANS_STMT_COMMIT,
                      TransactionStmtKind.TRANS_STMT_ROLLBACK,
                      TransactionStmtKind.TRANS_STMT_PREPARE):
            if self._transaction is not None:
                self._restore_session(rolled_back=kind == TransactionStmtKind.TRANS_STMT_ROLLBACK)
                self._close_transaction(released_at=result.index)
        elif self._transaction is not None:
            self._transaction.members.append(result)

    def _close_transaction(self, released_at: int | None) -> None:
        transaction = self._transaction
        assert transaction is not None
        for member in transaction.members:
            member.locks = [dataclasses.replace(lock, held_until=released_at)
                            for lock in member.locks]
        for hold in transaction.holds:
            hold.released_at = released_at
            self.holds.append(hold)
        self._transaction = None

    def _restore_session(self, *, rolled_back: bool) -> None:
        """ROLLBACK undoes every SET of the transaction; COMMIT only the SET LOCALs."""
        transaction = self._transaction
        assert transaction is not None
        before = transaction.session_at_begin
        if rolled_back:
            self.session = dataclasses.replace(before)
            return
        for setting in transaction.local_settings:
            setattr(self.session, setting, getattr(before, setting))

    def _track_locks(self, result: StatementResult) -> None:
        """Remember locks that block traffic on existing tables until COMMIT."""
        transaction = self._transaction
        if transaction is None:
            return
        held = {hold.relation: hold for hold in transaction.holds}
        for lock in result.locks:
            blocks_traffic = lock.mode.conflicts_with(LockMode.ROW_EXCLUSIVE)
            if not blocks_traffic or lock.relation in result.new_relations:
                continue
            hold = held.get(lock.relation)
            if hold is None:
                transaction.holds.append(TransactionHold(
                    relation=lock.relation, mode=lock.mode, acquired_at=result.index,
                    released_at=None, taken=[(result.index, lock.mode)]))
            elif lock.mode > hold.mode:
                hold.mode = lock.mode
                hold.taken.append((result.index, lock.mode))

    def _account_slow_statement(self, result: StatementResult) -> None:
        """SR202: a slow statement runs while earlier statements' locks block traffic."""
        transaction = self._transaction
        if transaction is None or not self._is_slow(result):
            return
        earlier = [hold for hold in transaction.holds if hold.acquired_at < result.index
                   and hold.relation not in transaction.dropped_indexes]
        if not earlier:
            return
        for hold in earlier:
            hold.held_through.append(result.index)
        # One finding per statement, naming every lock it extends.
        held = "; ".join(f"{hold.relation} ({hold.taken_text})" for hold in earlier)
        verb = "stays" if len(earlier) == 1 else "stay"
        result.findings.append(SR202.finding(
            f"{held} {verb} locked while {_slow_work(result)} runs, blocking traffic until "
            "COMMIT"))

    def _is_slow(self, result: StatementResult) -> bool:
        """Takes time in proportion to a table's size: rows to read or rewrite."""
        if result.cost is Cost.UNKNOWN:
            return True
        if result.cost is Cost.DATA_CHANGE:  # one row, or all of them?
            return any(self._has_rows(name) for name in result.scans)
        if not result.cost.is_slow:
            return False
        # The tables read or rewritten decide; a lock on another table (the
        # referenced side of a foreign key) makes nothing slow by itself.
        worked_on = set(result.scans) | set(result.rewrites)
        if not worked_on:
            worked_on = {lock.relation for lock in result.locks}
        return any(self._has_rows(name) for name in worked_on)

    def _has_rows(self, name: str) -> bool:
        relation = self.schema.get(key_of(name))
        return relation is None or not (relation.new and relation.empty)

    # --- session settings --------------------------------------------------------------

    def _update_session(self, node: ast.Node, hand_written: bool = False) -> None:
        """``hand_written`` False: a timeout the schema editor sets to 0 goes back to
        the connection's own (what sqlmigrate prints for django-pg-zero-downtime-
        migrations' "restore the previous value"; it reads it when it really runs)."""
        if not isinstance(node, ast.VariableSetStmt):
            return
        name = (node.name or "").lower()
        resetting = node.kind in (VariableSetKind.VAR_RESET, VariableSetKind.VAR_RESET_ALL,
                                  VariableSetKind.VAR_SET_DEFAULT)
        value = "" if resetting else _setting_value(node)
        if node.is_local and self._transaction is None:
            return  # SET LOCAL outside a transaction has no effect
        changes: dict[str, bool] = {}
        at_connect = self.options.session_at_connect()
        for timeout in ("lock_timeout", "statement_timeout"):
            if name == timeout or node.kind == VariableSetKind.VAR_RESET_ALL:
                turned_off = value in ("", "0", "0s", "0ms")
                restores = resetting or (turned_off and not hand_written)
                changes[timeout] = getattr(at_connect, timeout) if restores else not turned_off
        if name == "timezone" or node.kind == VariableSetKind.VAR_RESET_ALL:
            changes["time_zone_is_utc"] = value.lower() in _UTC_NAMES
        if name == "check_function_bodies" or node.kind == VariableSetKind.VAR_RESET_ALL:
            changes["check_function_bodies"] = value.lower() not in _OFF
        for setting, new_value in changes.items():
            setattr(self.session, setting, new_value)
            if node.is_local and self._transaction is not None:
                self._transaction.local_settings.add(setting)


def _setting_value(node: ast.VariableSetStmt) -> str:
    for argument in node.args or ():
        if isinstance(argument, ast.A_Const) and argument.val is not None:
            value = argument.val
            if isinstance(value, ast.String):
                return str(value.sval)
            if isinstance(value, ast.Integer):
                return str(value.ival)
    return ""


def _slow_work(result: StatementResult) -> str:
    """What keeps the earlier locks held, as a reviewer would say it."""
    if result.kind == "PYTHON":
        return "Python code of unknown cost"
    if result.cost is Cost.UNKNOWN:
        return "a statement of unknown cost"
    return f"this {result.cost.value}"


def _spelled(action: Action) -> str:
    """The action as the SQL says it: its description, with the variant that matters."""
    variant, description = action.variant, action.description
    if not variant or variant.upper() != variant or variant in description:
        return description
    if description.startswith(action.kind):  # CREATE INDEX CONCURRENTLY name
        return f"{action.kind} {variant}{description[len(action.kind):]}"
    return f"{description} {variant}"


def _names_in_roles(resolved: ResolvedAction, roles: frozenset[Role]) -> list[str]:
    return [name for role in _in_role_order(roles) for name in resolved.action.related(role)]


@functools.cache
def _in_role_order(roles: frozenset[Role]) -> tuple[Role, ...]:
    """In Role's declaration order, never the set's: a frozenset of enums iterates
    in an order that changes with PYTHONHASHSEED, and this order reaches the report."""
    return tuple(role for role in Role if role in roles)


def _extend_unique(target: list[str], *items: str) -> None:
    for item in items:
        if item not in target:
            target.append(item)




def _base_grade(result: StatementResult, resolved: list[ResolvedAction]) -> Level:
    """Risk from what the lock blocks and what the statement costs (its findings
    may raise it)."""
    existing_locks = [lock.mode for lock in result.locks
                      if lock.relation not in result.new_relations]
    strongest = max(existing_locks, default=None)
    return _base_risk(strongest, result.cost, resolved)


def _base_risk(strongest: LockMode | None, cost: Cost,
               resolved: list[ResolvedAction]) -> Level:
    if cost is Cost.UNKNOWN:
        return Level.MEDIUM
    if strongest is None:
        return Level.LOW
    blocks_writes = strongest.conflicts_with(LockMode.ROW_EXCLUSIVE)
    blocks_reads = strongest.conflicts_with(LockMode.ACCESS_SHARE)
    touches_existing_data = any(r.existing for r in resolved)
    if blocks_writes and touches_existing_data:
        if cost is Cost.REWRITE:
            return Level.CRITICAL
        if cost in (Cost.SCAN, Cost.INDEX_BUILD, Cost.DATA_CHANGE):
            return Level.HIGH
    if blocks_reads:
        return Level.MEDIUM
    return Level.LOW


def analyze_sql(sql: str, *, options: AnalyzerOptions, schema: Schema | None = None,
                file: str = "-") -> SqlAnalysis:
    """Analyse one SQL input from a clean session, seeded with ``schema``."""
    analyzer = Analyzer(options, schema, file)
    analyzer.feed(sql)
    return analyzer.finish()


__all__ = ["Analyzer", "AnalyzerOptions", "analyze_sql"]
