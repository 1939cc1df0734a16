"""The estimator base and the parameter table, for every estimator.

Each ``__init__`` parameter of every estimator is constrained, documented and
used: it reaches the engine's ``TrainingConfig`` or is read while fitting.
"""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpydoc.docscrape import ClassDoc
from sklearn.exceptions import ConvergenceWarning

import sklearn_deep.base as base_module
from sklearn_deep import Autoencoder
from sklearn_deep._training import TrainingConfig
from sklearn_deep._training._parameters import TRAINING_PARAMETERS
from sklearn_deep.base import DeepEstimator, held_out_split
from sklearn_deep.utils.discovery import all_estimators

ESTIMATORS = [cls for _, cls in all_estimators()]
CONFIG_FIELDS = set(TrainingConfig.__dataclass_fields__)


def _fit_data(cls):
    """Small training data that every parameter of ``cls`` can act on."""
    rng = np.random.RandomState(0)
    name = cls.__name__
    if name == "GCNClassifier":
        adjacency = sp.random(40, 40, density=0.2, random_state=0)
        adjacency = ((adjacency + adjacency.T) > 0).astype(float)
        params = {"adjacency": adjacency, "node_features": rng.rand(40, 3)}
        return params, (np.arange(30), np.arange(30) % 2)
    if "Tagger" in name:
        sentences = [["the", "dog", "ran"], ["a", "cat", "sat", "down"]] * 10
        tags = [["D", "N", "V"], ["D", "N", "V", "A"]] * 10
        params = {"embedding_dim": 4, "hidden_size": 4, "char_hidden_size": 3}
        if name == "TransformerTagger":
            del params["hidden_size"]
            params.update(d_model=4, n_heads=2, dim_feedforward=4)
        return params, (sentences, tags)
    X = rng.randn(40, 4)
    if name.startswith("Torch"):
        from sklearn_deep.wrappers._check_modules import ClassifierMLP, RegressorMLP

        regressor = "Regressor" in name
        params = {
            "module": RegressorMLP if regressor else ClassifierMLP,
            "module_params": {"hidden_units": 3},
        }
        return params, (X, X[:, 0] if regressor else (X[:, 0] > 0).astype(int))
    if name == "Autoencoder":
        return {}, (X,)
    if name == "GAN":
        # Conditional, so that the class inputs take part too.
        return {"batch_size": 8}, (X, (X[:, 0] > 0).astype(int))
    y = X[:, 0] if "Regressor" in name else (X[:, 0] > 0).astype(int)
    if name.startswith("CNN"):
        # Every architecture parameter takes part: pooling and a dense head.
        params = {"filters": (3,), "pooling": "max", "hidden_layer_sizes": (3,)}
        return params, (X, y)
    # Pre-training, so that init and freeze_init_epochs take part too.
    init = Autoencoder(3, (), max_iter=2, random_state=0).fit(X)
    return {"init": init, "hidden_layer_sizes": (3, 5), "freeze_init_epochs": 1}, (
        X,
        y,
    )


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_every_parameter_is_constrained_and_documented(cls):
    names = set(cls._get_param_names())
    assert set(cls._parameter_constraints) == names
    documented = {p.name for p in ClassDoc(cls)["Parameters"]}
    assert documented == names
    # A training parameter keeps the table's constraint unless the family
    # narrows it, and its paragraph comes from the table or the family.
    signature = inspect.signature(cls.__init__)
    for name in names & set(TRAINING_PARAMETERS):
        assert signature.parameters[name].kind == inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_every_parameter_reaches_the_config_or_the_fit(cls, monkeypatch):
    params, data = _fit_data(cls)
    configs = []
    real_train = base_module.train

    def spy(module, loss, batches, config, **kwargs):
        configs.append(config)
        return real_train(module, loss, batches, config, **kwargs)

    monkeypatch.setattr(base_module, "train", spy)
    reads = set()
    names = set(cls._get_param_names())

    class Spy(cls):
        # Records which parameters the fit reads, outside get_params (which
        # scikit-learn's machinery calls and reads them all).
        def __getattribute__(self, name):
            if name in names and object.__getattribute__(self, "__dict__").get(
                "_recording"
            ):
                reads.add(name)
            return object.__getattribute__(self, name)

        def get_params(self, deep=True):
            recording = self.__dict__.pop("_recording", False)
            try:
                return super().get_params(deep)
            finally:
                if recording:
                    self.__dict__["_recording"] = True

        def _fit_template(self, *args):
            self.__dict__["_recording"] = True
            try:
                return super()._fit_template(*args)
            finally:
                self.__dict__.pop("_recording", None)

    Spy.__name__ = cls.__name__
    extra = {"max_iter": 2, "random_state": 0}
    if "early_stopping" in names:
        extra["early_stopping"] = True
    estimator = Spy(**params, **extra)
    if "warm_start" in names:
        estimator.set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(*data)
        estimator.fit(*data)  # a second fit reads warm_start
    config = configs[-1]
    unused = []
    for name in sorted(names):
        if name in CONFIG_FIELDS:
            value = getattr(estimator, name)
            if getattr(config, name) == value or name in _RESOLVED_IN_CONFIG:
                continue
        if name not in reads:
            unused.append(name)
    assert not unused, f"{cls.__name__} never uses {unused} in fit"


# Config fields the base or a family resolves from the parameter (an int batch
# size for "auto", verbose as an int, the GCN's unscaled penalties, ...).
_RESOLVED_IN_CONFIG = {"batch_size", "verbose", "alpha", "alpha_l1", "shuffle"}


def test_held_out_split_stratifies_when_every_class_can_be_kept():
    y = np.array([0] * 10 + [1] * 10)
    train, validation = held_out_split(20, 0.2, seed=0, stratify=y)
    assert np.bincount(y[validation]).tolist() == [2, 2]
    assert sorted([*train, *validation]) == list(range(20))


def test_held_out_split_falls_back_to_random_for_a_singleton_class():
    y = np.array([0] * 19 + [1])
    train, validation = held_out_split(20, 0.2, seed=0, stratify=y)
    assert len(validation) == 4 and len(train) == 16


def test_held_out_split_refuses_a_validation_set_below_two():
    with pytest.raises(ValueError, match="validation set is too small"):
        held_out_split(10, 0.1, seed=0)


def test_training_docs_come_from_the_table_with_family_wording():
    from sklearn_deep import GCNClassifier, MLPClassifier

    mlp = {p.name: p for p in ClassDoc(MLPClassifier)["Parameters"]}
    gcn = {p.name: p for p in ClassDoc(GCNClassifier)["Parameters"]}
    table = TRAINING_PARAMETERS["alpha"].doc.split()
    assert " ".join(mlp["alpha"].desc).split() == table
    assert "weight decay" in " ".join(gcn["alpha"].desc)
    assert "default=0.0005" in gcn["alpha"].type


def test_the_base_is_abstract():
    with pytest.raises(TypeError):
        DeepEstimator()


def test_held_out_split_says_when_nothing_is_left_to_train_on():
    with pytest.raises(ValueError, match="leaves none to train on.*Pass X_val"):
        held_out_split(3, 0.9, seed=0, hint=" Pass X_val")


def test_a_pickle_without_parameters_added_since_loads_with_their_defaults():
    import pickle

    from sklearn.base import clone

    from sklearn_deep import MLPClassifier

    X, y = _fit_data(MLPClassifier)[1]
    clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    # A pickle written before n_threads existed has no such attribute.
    del clf.__dict__["n_threads"]
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.get_params()["n_threads"] is None
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    clone(restored).fit(X, y)


def test_engine_warnings_name_the_estimator_module():
    from sklearn_deep import GCNClassifier, MLPClassifier

    for cls in (MLPClassifier, GCNClassifier):
        params, data = _fit_data(cls)
        params.pop("init", None), params.pop("freeze_init_epochs", None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(**params, max_iter=2, random_state=0).fit(*data)
        [warning] = [w for w in caught if w.category is ConvergenceWarning]
        assert warning.filename.endswith(
            ("neural_network/_base.py", "graph/_gcn.py")
        ), warning.filename
