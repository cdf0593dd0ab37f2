"""Co-occurrence: "bought together" and "viewed together", scored by shrunk lift.

Raw co-counts rank bestsellers first for every product (they co-occur with
everything). Lift divides by what chance predicts, but a single accidental pair of two
rare items then scores highest. We use lift shrunk towards 1 with a pseudo-count:

    score(i, j) = (c_ij + s) / (E_ij + s),   E_ij = n_i * n_j / N

where c_ij is how many baskets hold both, n_i how many hold i, N the number of baskets.
A niche pair seen together 3 times in 1000 baskets scores about 4; a bestseller in
90% of baskets stays near 1, and one accidental pair of singletons scores at most 2.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from personalization_plugin.engine.interactions import Interactions


def basket_matrix(
    keys: np.ndarray, item_index: np.ndarray, n_items: int, max_size: int = 50
) -> sp.csr_matrix:
    """Binary basket x item matrix; baskets larger than `max_size` (bots, crawlers) dropped."""
    if keys.size == 0:
        return sp.csr_matrix((0, n_items), dtype=np.float32)
    _, basket = np.unique(keys, return_inverse=True)
    m = sp.coo_matrix(
        (np.ones(basket.shape[0], np.float32), (basket, item_index)),
        shape=(int(basket.max()) + 1, n_items),
    ).tocsr()
    m.data[:] = 1.0
    sizes = np.diff(m.indptr)
    return m[(sizes >= 2) & (sizes <= max_size)]


def lift_matrix(baskets: sp.csr_matrix, shrink: float = 1.0) -> sp.csr_matrix:
    """Item x item shrunk-lift scores for pairs that co-occur at least once."""
    n_baskets = baskets.shape[0]
    co = (baskets.T @ baskets).tocsr().astype(np.float64)
    counts = co.diagonal().copy()
    co.setdiag(0)
    co.eliminate_zeros()
    if co.nnz == 0 or n_baskets == 0:
        return sp.csr_matrix(co.shape, dtype=np.float32)
    rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
    expected = counts[rows] * counts[co.indices] / n_baskets
    co.data = (co.data + shrink) / (expected + shrink)
    return co.astype(np.float32)


def top_k_rows(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's k best entries, each row sorted best first (a lookup table)."""
    m = matrix.tocsr()
    m.eliminate_zeros()
    n = m.shape[0]
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    order = np.lexsort((-m.data, rows))
    rank = np.arange(order.shape[0]) - m.indptr[rows[order]]
    keep = order[rank < k]
    counts = np.bincount(rows[keep], minlength=n)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return sp.csr_matrix((m.data[keep].astype(np.float32), m.indices[keep], indptr), shape=m.shape)


def bought_together(data: Interactions, k: int = 50, shrink: float = 1.0) -> sp.csr_matrix:
    """Top-k "bought together" lists: same order, else same subject within a day."""
    is_purchase = data.log.type == "purchase"
    baskets = basket_matrix(data.order_key[is_purchase], data.item_index[is_purchase], data.n_items)
    return top_k_rows(lift_matrix(baskets, shrink), k)


def viewed_together(data: Interactions, k: int = 50, shrink: float = 1.0) -> sp.csr_matrix:
    """Top-k "viewed together" lists: same session, else same subject within 30 minutes."""
    baskets = basket_matrix(data.session_key, data.item_index, data.n_items)
    return top_k_rows(lift_matrix(baskets, shrink), k)


def followed_by(data: Interactions, k: int = 50, window: int = 3) -> sp.csr_matrix:
    """Top-k "viewed next" lists (sequential rules): j counts for i when j comes up to
    `window` steps after i in the same session (weight 1 / steps). Session data is
    strongly sequential, so this is what session-kNN studies find hardest to beat."""
    key = data.session_key
    order = np.lexsort((data.log.timestamp, key))
    key, item = key[order], data.item_index[order]
    rows, cols, vals = [], [], []
    for step in range(1, window + 1):
        same = (key[step:] == key[:-step]) & (item[step:] != item[:-step])
        rows.append(item[:-step][same])
        cols.append(item[step:][same])
        vals.append(np.full(int(same.sum()), 1.0 / step, np.float32))
    n = data.n_items
    m = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsr()
    m.sum_duplicates()
    return top_k_rows(m, k)
