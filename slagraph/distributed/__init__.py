"""Evaluation on Dask (SPEC §6.7): partitions of accounts evaluated apart, rows concatenated.

Accounts are independent: the rows of disjoint account sets, evaluated with one as-of and
one first instant (`since`), concatenate to those of one evaluation. So:

1. `plan` (plan.py) counts the records of each account (only the account columns are
   read) and packs the accounts, largest first, into partitions of about equal record
   counts; accounts that share a clock's item are kept together.
2. Each partition is loaded on a worker from the source itself (`data.partitions.Subset`:
   Parquet reads only the row groups holding its accounts, PostgreSQL and DuckDB only
   their rows; other files are read and cut), and stays there (tasks.py).
3. A small task per partition reports its first and latest instants; the client takes
   one as-of and one first instant over all of them, so every period grid is the same.
4. Each partition is evaluated; the tables are concatenated and put back in the order
   one evaluation gives (evaluate.py; whatif.py the same for what-if pairs).

`simulate` (simulate.py) spreads runs, not accounts. session.py is the Dask side; Dask
and distributed are imported there only, and only when a client is asked for.
"""

from __future__ import annotations

from slagraph.data.partitions import Subset
from slagraph.distributed.evaluate import evaluate
from slagraph.distributed.plan import Plan, plan
from slagraph.distributed.session import PER_WORKER, RETRIES, cluster
from slagraph.distributed.simulate import simulate, task_pieces
from slagraph.distributed.tasks import Frame
from slagraph.distributed.whatif import whatif

__all__ = [
    "PER_WORKER",
    "RETRIES",
    "Frame",
    "Plan",
    "Subset",
    "cluster",
    "evaluate",
    "plan",
    "simulate",
    "task_pieces",
    "whatif",
]
