"""Numbers the notebooks' text states about data or a layer, measured again (#26 item 4).

Each test reads the sentence from the solution notebook (so a reworded claim must be measured again) and
measures what it says, the way the notebook's own cells would. What the teaching review found false is
here: 06's share of map cells alone in a hash bucket, 02's "raw" diabetes features, the constant model's
accuracy 03's model answer quotes."""

from __future__ import annotations

import re

import numpy as np

from autograder.notebooks import read_notebook, source_notebook


def _text(assignment: str, cell_id: str) -> str:
    (cell,) = [c for c in read_notebook(source_notebook(assignment)).cells if c.get("id") == cell_id]
    return " ".join(cell.source.split())


def test_06_hashed_crossing_collisions_are_what_the_text_says(data_root):
    import keras
    from sklearn.model_selection import train_test_split

    from course_kernel.data import fetch_california_housing

    text = _text("06-california-housing", "cal-location-text")
    claimed_cells = int(re.search(r"only about (\d+) of the 1 600 cells hold districts", text).group(1))
    claimed_alone = int(re.search(r"roughly (\d+) % of those get a bucket of their own", text).group(1))
    assert "leaves only about a third of them alone" in text

    housing = fetch_california_housing(as_frame=True)  # the course's verified copy, as the notebook's cal-load does
    X, y = housing.data.to_numpy(), housing.target.to_numpy()
    X_train_full, _, y_train_full, _ = train_test_split(X, y, random_state=42)
    X_train, _, _, _ = train_test_split(X_train_full, y_train_full, random_state=42)
    latitude, longitude = keras.layers.Discretization(num_bins=40), keras.layers.Discretization(num_bins=40)
    latitude.adapt(X_train[:, 6:7])
    longitude.adapt(X_train[:, 7:8])
    crossing = keras.layers.HashedCrossing(num_bins=1600)

    def alone(pairs: np.ndarray) -> float:
        buckets = np.asarray(crossing((pairs[:, :1], pairs[:, 1:]))).ravel()
        _, counts = np.unique(buckets, return_counts=True)
        return float(np.sum(counts == 1)) / len(pairs)

    bins = np.hstack([np.asarray(latitude(X_train[:, 6:7])), np.asarray(longitude(X_train[:, 7:8]))]).astype("int64")
    populated = np.unique(bins, axis=0)
    grid = np.array([(a, b) for a in range(40) for b in range(40)], dtype="int64")
    assert abs(len(populated) - claimed_cells) <= 0.05 * claimed_cells, f"{len(populated)} populated cells"
    assert abs(100 * alone(populated) - claimed_alone) <= 5, f"{alone(populated):.1%} of populated cells alone"
    assert 0.28 <= alone(grid) <= 0.40, f"{alone(grid):.1%} of all cells alone: not 'about a third'"


def test_02_diabetes_ships_scaled_and_raw_units_come_with_scaled_false():
    from sklearn.datasets import load_diabetes

    text = _text("02-linear-regression", "lin-diabetes-text")
    assert "ships this data set already centred and scaled" in text and "load_diabetes(scaled=False)" in text
    scaled, raw = load_diabetes().data, load_diabetes(scaled=False).data
    assert np.allclose(scaled.mean(axis=0), 0, atol=1e-6) and np.allclose((scaled ** 2).sum(axis=0), 1, atol=1e-6)
    assert 10 < raw[:, 0].std() < 16 and 18 <= raw[:, 0].min() and raw[:, 0].max() <= 80, "age in years"


def test_03_always_benign_scores_what_the_model_answer_says():
    from sklearn.datasets import load_breast_cancer

    answer = _text("03-logistic-regression", "log-written-2")
    claimed = int(re.search(r"about (\d+) % accuracy", answer).group(1))
    y = load_breast_cancer().target  # 1 is benign in this data set
    assert round(100 * np.mean(y == 1)) == claimed
    compare = _text("03-logistic-regression", "log-compare")
    assert "false_alarms" in compare and "false alarms" in compare, "the answer cites the comparison cell's false alarms"
