"""What the database does for a page's queries: EXPLAIN each one the page ran
and say where it reads a whole table or sorts, on SQLite and PostgreSQL."""

import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def plan_of(sql: str) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return [str(row[-1]) for row in cursor.fetchall()]


MEMBER_TABLES = ("registration_user", "registration_profile", "avatars_avatar")


def costly_steps(
    plan: list[str], tables: tuple[str, ...] = MEMBER_TABLES, walk: bool = False
) -> list[str]:
    """The steps of a plan that read the whole of one of `tables`, or sort.

    With `walk`, reading an index in order from its start counts as cheap:
    under a LIMIT it stops after a page (the directory's first page).
    Otherwise every index must be searched for a key or a range.
    """
    names = "|".join(tables)
    if connection.vendor == "sqlite":
        scan = re.compile(rf"^SCAN ({names})( USING .*INDEX .*)?$")
        ordered_walk = re.compile(rf"^SCAN ({names}) USING .*INDEX ")
        return [
            step
            for step in plan
            if (scan.match(step) and not (walk and ordered_walk.match(step)))
            or "TEMP B-TREE" in step
        ]
    scan = re.compile(rf"Seq Scan on ({names})\b")
    index_scan = re.compile(rf"Index (Only )?Scan( Backward)? using \S+ on ({names})\b")
    sort = re.compile(r"^(->\s+)?(Incremental )?Sort\b")
    costly = []
    for number, step in enumerate(plan):
        following = plan[number + 1].strip() if number + 1 < len(plan) else ""
        unbounded = index_scan.search(step) and not following.startswith("Index Cond")
        if scan.search(step) or sort.match(step.strip()) or (unbounded and not walk):
            costly.append(step)
    return costly


def costly_queries(
    run: Callable[[], Any], tables: tuple[str, ...] = MEMBER_TABLES, walk: bool = False
) -> dict[str, list[str]]:
    """Each query `run` makes, by its SQL, with the costly steps of its plan
    (see costly_steps); empty when indexes serve every one."""
    with CaptureQueriesContext(connection) as captured:
        run()
    found: dict[str, list[str]] = {}
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        steps = costly_steps(plan_of(sql), tables, walk)
        if steps:
            found[sql] = steps
    return found
