"""Every scoring source honours one interface; the shipped default is a `Blend` of them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from personalization_plugin.engine.algorithms import make
from personalization_plugin.engine.blend import (
    AlgorithmSource,
    Batch,
    Blend,
    GlobalSource,
    ItemItemSource,
    ScoreSource,
    normalise,
)

N = 4


def batch(history: list[list[float]], recent: list[list[float]] | None = None) -> Batch:
    h = sp.csr_matrix(np.array(history, dtype=np.float32))
    r = sp.csr_matrix(np.array(recent or [[0.0] * N] * len(history), dtype=np.float32))
    return Batch(users=np.full(len(history), -1), history=h, recent=r)


@pytest.fixture
def table() -> sp.csr_matrix:
    """Item i leads to item i+1 (and the last back to the first)."""
    rows = np.arange(N)
    return sp.csr_matrix((np.ones(N, np.float32), (rows, (rows + 1) % N)), shape=(N, N))


def test_every_source_honours_the_interface(table) -> None:
    fitted = make("item_knn", k=2).fit(sp.csr_matrix(np.eye(N, dtype=np.float32)))
    sources = [
        AlgorithmSource(fitted),
        ItemItemSource("neighbours", table),
        ItemItemSource("session", table, reads="recent"),
        GlobalSource("popularity", np.arange(N, dtype=np.float32)),
        Blend([(1.0, ItemItemSource("neighbours", table))], N),
    ]
    b = batch([[1, 0, 0, 0]], [[1, 0, 0, 0]])
    for source in sources:
        assert isinstance(source, ScoreSource)
        scores = source.score(b)
        assert scores is not None and scores.shape == (1, N), source.name


def test_a_blend_is_the_weighted_sum_of_its_normalised_parts(table) -> None:
    pop = GlobalSource("popularity", np.array([4.0, 3.0, 2.0, 1.0]))
    nb = ItemItemSource("neighbours", table)
    b = batch([[1, 0, 0, 0], [0, 0, 1, 0]])
    blended = Blend([(2.0, nb), (0.5, pop)], N).score(b)
    expected = 2.0 * normalise(nb.score(b)) + 0.5 * normalise(pop.score(b))
    np.testing.assert_allclose(blended, expected, rtol=1e-6)
    assert blended[0].argmax() == 1 and blended[1].argmax() == 3  # each row follows its item


def test_zero_weights_and_silent_sources_cost_nothing(table) -> None:
    class Exploding:
        name = "exploding"

        def score(self, batch: Batch) -> np.ndarray:
            raise AssertionError("a zero-weight source must not be asked")

    session = ItemItemSource("session", table, reads="recent")
    b = batch([[1, 0, 0, 0]])  # no recent items: the session source has nothing to say
    assert session.score(b) is None
    blend = Blend([(0.0, Exploding()), (1.0, session)], N)
    assert not blend.score(b).any()
    assert blend.describe() == {"session": 1.0}
