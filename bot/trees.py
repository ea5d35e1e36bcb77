"""A boosted tree ensemble, read from JSON and evaluated in plain numpy: the answerability model.

eval/fit.py fits scikit-learn's HistGradientBoostingClassifier and writes its trees; the bot only reads
them (no pickle, so a scikit-learn upgrade can't break a stored model). Each tree is stored as parallel
node arrays; a node goes left when the feature is <= its threshold; a leaf's value is added to the
baseline, and the sum is a log-odds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tree:
    feature: np.ndarray      # per node: the feature it splits on
    threshold: np.ndarray    # ... go left when the feature is <= this
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray        # per leaf node: its contribution to the log-odds
    leaf: np.ndarray         # per node: is it a leaf

    def __call__(self, x: np.ndarray) -> float:
        node = 0
        while not self.leaf[node]:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return float(self.value[node])


@dataclass(frozen=True)
class TreeEnsemble:
    baseline: float
    trees: tuple[Tree, ...]

    def log_odds(self, x: np.ndarray) -> float:
        return self.baseline + sum(tree(x) for tree in self.trees)

    def probability(self, x: np.ndarray) -> float:
        return float(1.0 / (1.0 + np.exp(-self.log_odds(x))))

    @classmethod
    def from_json(cls, data: dict) -> "TreeEnsemble":
        return cls(float(data["baseline"]), tuple(
            Tree(np.array(t["feature"], dtype=np.int64), np.array(t["threshold"], dtype=np.float64),
                 np.array(t["left"], dtype=np.int64), np.array(t["right"], dtype=np.int64),
                 np.array(t["value"], dtype=np.float64), np.array(t["leaf"], dtype=bool))
            for t in data["trees"]))

