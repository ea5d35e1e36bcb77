"""The answerability trees as the bot reads them give what scikit-learn's fitted model gives."""
import json

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from bot.evidence import DEFAULT_MODEL_FILE, FEATURES, RANKER_ONLY, model_for
from bot.trees import TreeEnsemble
from eval.fit import export


def test_exported_trees_give_scikit_learns_probabilities():
    rng = np.random.default_rng(0)
    X = rng.random((400, 5))
    y = X[:, 0] + X[:, 1] * X[:, 2] > 0.7
    fitted = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=7, monotonic_cst=[1, 0, 0, -1, 0]).fit(X, y)
    ensemble = TreeEnsemble.from_json(json.loads(json.dumps(export(fitted))))
    expected = fitted.predict_proba(X[:50])[:, 1]
    assert np.allclose([ensemble.probability(x) for x in X[:50]], expected, atol=1e-5)


def test_the_shipped_model_reads_every_feature_and_the_share():
    data = json.loads(DEFAULT_MODEL_FILE.read_text(encoding="utf-8"))
    assert data["answerable"]["inputs"] == [*FEATURES, "share"]
    model = model_for(data["embedder"])
    assert all(t.feature.max() <= len(FEATURES) for t in model.answerable.trees)
    assert 0.0 < model.confidence(np.zeros(len(FEATURES)), 0.5) < 1.0


def test_the_shipped_models_trees_never_split_on_a_ranker_only_feature():
    model = model_for(json.loads(DEFAULT_MODEL_FILE.read_text(encoding="utf-8"))["embedder"])
    split_on = {FEATURES[f] for tree in model.answerable.trees for f, leaf in zip(tree.feature, tree.leaf)
                if not leaf and f < len(FEATURES)}
    assert split_on and split_on.isdisjoint(RANKER_ONLY)
