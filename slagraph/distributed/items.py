"""Clocks and partitions: accounts that share a clock's item stay together.

A clock gives each cycle the account of its item's last event naming one (a ticket
moves between groups). So an item's rows must all be in one partition, and that
partition must hold every account the item's events name. Accounts linked through items
are the connected components of the (item, account) pairs; they are found by label
propagation (each account takes the smallest label of the items it shares, each item the
smallest of its accounts, until nothing changes): vectorised, one round per link of the
longest chain, never a loop over records. The plan packs components, not accounts, and
each partition keeps the rows of its components' items (`Subset.items`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.compiler import ir


def clock_keys(model: ir.Model) -> dict[str, tuple[str, ...]] | None:
    """Each clocked stream's item keys (`per KEYS`); None when two clocks of one stream
    key it differently: a row would then belong to two items, and no cut by item keeps
    both whole."""
    keys: dict[str, tuple[str, ...]] = {}
    for clock in model.clocks.values():
        if keys.setdefault(clock.stream, clock.keys) != clock.keys:
            return None
    return keys


def plain(table: pa.Table) -> pa.Table:
    """Dictionary columns as their values, so that tables from any reader join."""
    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def item_codes(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Each row's item (an index into the distinct key rows; -1 where a key is null) and
    the first row of each item."""
    n = table.num_rows
    codes = []
    for column in table.columns:
        encoded = pc.dictionary_encode(column.combine_chunks())
        codes.append(np.asarray(encoded.indices.fill_null(-1).to_numpy(), np.int64))
    stacked = np.stack(codes, axis=1) if codes else np.zeros((n, 0), np.int64)
    known = (stacked >= 0).all(axis=1)
    item = np.full(n, -1, np.int64)
    if known.any():
        rows = np.flatnonzero(known)
        _, first, inverse = np.unique(stacked[rows], axis=0, return_index=True, return_inverse=True)
        item[rows] = inverse.reshape(-1)
        return item, rows[first]
    return item, np.zeros(0, np.int64)


def components(
    pairs: Sequence[tuple[np.ndarray, np.ndarray, int]], accounts: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """`pairs`: per clocked stream, each row's (item, account code) and the item count.
    Returns each account's component label (its smallest linked account) and, per
    stream, each item's label (-1: its events name no account)."""
    label = np.arange(accounts, dtype=np.int64)
    edges = []
    for item, account, items in pairs:
        ok = (item >= 0) & (account >= 0)
        edges.append((np.unique(np.stack([item[ok], account[ok]], 1), axis=0), items))
    big = np.int64(accounts)
    while True:
        new = label.copy()
        item_labels = []
        for pair, items in edges:
            of_item = np.full(items, big, np.int64)
            np.minimum.at(of_item, pair[:, 0], new[pair[:, 1]])
            np.minimum.at(new, pair[:, 1], of_item[pair[:, 0]])
            item_labels.append(of_item)
        new = new[new]  # pointer jumping: halves the rounds of a long chain
        if np.array_equal(new, label):
            break
        label = new
    return label, [np.where(of == big, -1, of) for of in item_labels]


def items_of(
    keys: Mapping[str, tuple[str, ...]],
    tables: Mapping[str, pa.Table],
    item_labels: Sequence[np.ndarray],
    firsts: Sequence[np.ndarray],
    part_of_label: np.ndarray,
    part: int,
) -> dict[str, pa.Table]:
    """Per clocked stream, the distinct key rows of the items partition `part` holds
    (those naming no account: partition 0)."""
    out = {}
    for (stream, _), labels, first in zip(keys.items(), item_labels, firsts, strict=True):
        owner = np.where(labels >= 0, part_of_label[np.maximum(labels, 0)], 0)
        out[stream] = tables[stream].take(pa.array(first[owner == part]))
    return out
