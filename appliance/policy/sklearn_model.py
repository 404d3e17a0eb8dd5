"""A scikit-learn estimator as the sklearn policy's cost model: found by class name among scikit-learn's own,
learned online with ``partial_fit``, saved and loaded with skops (never pickle).

>>> model = CostModel(new_estimator(estimator_class("SGDRegressor"), {"alpha": 1e-4}, seed=1, columns=4))
>>> model.costs(sparse.eye(2, 4))  # before it learned anything: every action costs 0
[0.0, 0.0]
>>> model.learn(sparse.eye(1, 4), [-1.0]); model.costs(sparse.eye(2, 4)) < [0.0, 0.0]
True
>>> check_params(estimator_class("SGDRegressor"), {"alpah": 1e-4})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: SGDRegressor has no parameter 'alpah'; its parameters are: alpha, average, ...
"""

from __future__ import annotations

import sys
import zipfile
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any, Mapping

import skops.io
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.neural_network._stochastic_optimizers import BaseOptimizer
from sklearn.utils.validation import check_is_fitted

from appliance.errors import CheckpointError

MODULES = ("linear_model", "naive_bayes", "neural_network")
"""The scikit-learn modules whose regressors and classifiers can be named (every one with ``partial_fit`` that
is not a meta-estimator lives in one of them; tests/core/test_sklearn_policy.py checks it)."""


@cache
def online_estimators() -> dict[str, type]:
    """Class name -> class, for scikit-learn's regressors and classifiers with ``partial_fit``."""
    found: dict[str, type] = {}
    for name in MODULES:
        module = import_module(f"sklearn.{name}")
        for attribute in module.__all__:
            cls = getattr(module, attribute)
            if isinstance(cls, type) and issubclass(cls, (RegressorMixin, ClassifierMixin)) and hasattr(cls, "partial_fit"):
                found[attribute] = cls
    return dict(sorted(found.items()))


def is_classifier(cls: type) -> bool:
    return issubclass(cls, ClassifierMixin)


def estimator_class(name: str) -> type:
    """The class of scikit-learn's online regressors and classifiers named ``name``; else a ``ValueError`` listing them."""
    cls = online_estimators().get(name)
    if cls is None:
        raise ValueError(f"{name} is not a scikit-learn regressor or classifier with partial_fit (it cannot learn one event "
                         f"at a time); choose one of {', '.join(online_estimators())}")
    return cls


def check_params(cls: type, params: Mapping[str, Any]) -> None:
    """A ``ValueError`` naming the parameters ``cls`` has unless it has all of ``params``."""
    known = cls().get_params(deep=False)
    unknown = [p for p in params if p not in known]
    if unknown:
        raise ValueError(f"{cls.__name__} has no parameter {unknown[0]!r}; its parameters are: {', '.join(sorted(known))}")


def new_estimator(cls: type, params: Mapping[str, Any], seed: int, columns: int) -> Any:
    """``cls(**params)``, seeded by ``seed`` unless ``params`` give a ``random_state``, once a copy of it learned
    and predicted two rows of ``columns`` sparse features; else a ``ValueError`` saying what to change."""
    seeded = {"random_state": seed} if "random_state" in cls().get_params(deep=False) else {}
    estimator = cls(**{**seeded, **params})
    name = cls.__name__
    if is_classifier(cls) and not hasattr(estimator, "predict_proba"):
        raise ValueError(f"{name} with these params has no predict_proba (the chance of a success); "
                         "for SGDClassifier set params.loss to log_loss or modified_huber")
    probe = CostModel(clone(estimator))
    rows = sparse.csr_matrix(([1.0, 1.0], ([0, 1], [0, 1])), shape=(2, columns))
    try:
        probe.learn(rows, [0.0, -1.0])
        probe.costs(rows)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} cannot learn the policy's hashed sparse features with these params ({err}); change "
                         "params, or choose an estimator that takes sparse features, e.g. SGDRegressor") from None
    return estimator


class CostModel:
    """Predicts each row's cost: a regressor's prediction of the cost, or minus a classifier's chance of a success
    (a reward at or above ``success_reward``). Rows are actions, columns their hashed features."""

    def __init__(self, estimator: Any, success_reward: float = 0.5) -> None:
        self.estimator, self.success_reward = estimator, success_reward
        self.classifier = is_classifier(type(estimator))
        self.fitted = _is_fitted(estimator)

    def costs(self, rows: Any) -> list[float]:
        if not self.fitted:
            return [0.0] * rows.shape[0]
        if self.classifier:
            return (-self.estimator.predict_proba(rows)[:, 1]).tolist()  # type: ignore[no-any-return]
        return self.estimator.predict(rows).tolist()  # type: ignore[no-any-return]

    def learn(self, rows: Any, costs: list[float]) -> None:
        """One ``partial_fit`` of the rows with their cost targets."""
        if self.classifier:
            self.estimator.partial_fit(rows, [int(-c >= self.success_reward) for c in costs], classes=[0, 1])
        else:
            self.estimator.partial_fit(rows, costs)
        self.fitted = True

    def save(self, path: Path) -> None:
        skops.io.dump(self.estimator, path)

    def load(self, path: Path) -> CostModel:
        """The model saved at ``path``, which must hold this model's class and no type outside scikit-learn's
        estimators and optimizers (skops' own defaults aside)."""
        try:
            untrusted = skops.io.get_untrusted_types(file=path)
            refused = [t for t in untrusted if not trusted_type(t)]
            if refused:
                raise CheckpointError(f"{path}: refused, it holds types outside scikit-learn's estimators: {', '.join(refused)}; "
                                      "load only models the sklearn policy saved")
            estimator = skops.io.load(path, trusted=untrusted)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as err:
            raise CheckpointError(f"{path}: not a skops model file ({type(err).__name__}: {err})") from None
        if type(estimator) is not type(self.estimator):
            raise CheckpointError(f"{path}: holds a {type(estimator).__name__}, the config names {type(self.estimator).__name__}; "
                                  "change policy.estimator.class or load a model of that class")
        return CostModel(estimator, self.success_reward)


def trusted_type(name: str) -> bool:
    """Whether skops may build the type ``name`` (``module.Class``): a scikit-learn estimator or optimizer class
    of a module already imported (nothing is imported for a model file).

    >>> trusted_type("sklearn.linear_model._stochastic_gradient.SGDRegressor"), trusted_type("builtins.eval")
    (True, False)
    """
    module_name, _, qualname = name.rpartition(".")
    module = sys.modules.get(module_name) if module_name.startswith("sklearn.") else None
    found = getattr(module, qualname, None)
    return isinstance(found, type) and issubclass(found, (BaseEstimator, BaseOptimizer))


def _is_fitted(estimator: Any) -> bool:
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True

