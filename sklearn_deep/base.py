"""The estimator base every family of sklearn_deep stands on.

``DeepEstimator`` holds the fit template once: rollback on failure, device,
dtype and seed, the validation split (one rule), the training config, the
thread budget, scikit-learn's callbacks, the engine call, the fitted
attributes, the rebuilding of the network for ``sklearn_deep.load`` and
prediction in fixed-size blocks. A family fills in named hooks:

``_validate_fit_data(X, y, fit, **fit_params) -> FitData``
    validate and encode X and y (and set what they teach: ``classes_``...);
``_prepare_encoding(data, train_rows, fit)``
    learn what encoding needs from the training rows (vocabularies); optional;
``_build_module(device, dtype, generator)``
    the network, from the fitted attributes; its weights drawn from
    ``generator``, never from torch's global generator (build torch's layers
    with ``sklearn_deep.nn.build_uninitialized``, whose layers draw nothing);
``_make_batches(data, train_rows, config, fit)``
    the engine's ``Batches`` over the training rows (None: all rows);
``_loss_function(data, fit)``
    ``loss(output, target, sample_weight)``;
``_validation_score(data, validation_rows, fit)``
    ``score(module)`` on the held-out rows, higher is better;
``_after_fit(data)``
    fitted attributes beyond the training ones; optional;
``_training_step(module, loss, config, fit)``
    the engine's step, for a family that trains otherwise than by its
    solver (a GAN's alternating updates); optional.

``TabularMixin`` adds what estimators of 2-D float X share: validation straight
to the network's dtype (sparse input kept sparse) and prediction in blocks.
See the developer guide (``docs/developers.rst``) for the recipe of a new
estimator.
"""

import copy
import functools
import importlib
import inspect
import itertools
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from sklearn_deep._training import Batches, TrainingConfig, TrainingState, train
from sklearn_deep._training._callbacks import CallbackSupportMixin, EpochCallbacks
from sklearn_deep._training._parameters import (
    TRAINING_PARAMETERS,
    training_constraints,
    training_docs,
)
from sklearn_deep._training._process_state import ThreadBudget
from sklearn_deep.utils._fitted_checks import (
    check_feature_names,
    check_fitted_count,
    check_layer_count,
)
from sklearn_deep.utils._fitting import check_hidden_layer_sizes, fit_or_restore
from sklearn_deep.utils._pickling import HostPicklingMixin
from sklearn_deep.utils._sklearn_compat import validate_data
from sklearn_deep.utils._torch import (
    PREDICT_BLOCK_ROWS,
    PREDICT_BLOCK_ROWS_CUDA,
    TORCH_DTYPES,
    make_generator,
    predict_in_blocks,
    resolve_device,
    seed_from_random_state,
    to_numpy,
    to_tensor,
)

# The line of a family's docstring that the table's paragraphs replace.
TRAINING_PARAMETERS_MARKER = "    {training_parameters}\n"

# Where the documentation is published: the HTML repr links into it.
DOCS_URL = "https://sklearn-deep.readthedocs.io/en/stable"


def public_module(cls):
    """The public module a class is documented under.

    The top-level package when it exports the class (as docs/api.rst lists
    them), else its module path up to the first private part.
    """
    package = importlib.import_module("sklearn_deep")
    if getattr(package, cls.__name__, None) is cls:
        return "sklearn_deep"
    parts = cls.__module__.split(".")
    return ".".join(itertools.takewhile(lambda part: not part.startswith("_"), parts))


def within_thread_budget(method):
    """Run an estimator's prediction ``method`` within its ``n_threads``.

    The thread policy of fitting holds for prediction too: a prediction with
    more threads than cores free is as slow as such a fit.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with ThreadBudget(getattr(self, "n_threads", None)):
            return method(self, *args, **kwargs)

    return wrapper


def store_parameters(estimator, arguments):
    """Store ``__init__``'s ``arguments`` (its ``locals()``) as they are.

    scikit-learn's rule: ``__init__`` sets one attribute per parameter and does
    nothing else; this does exactly that for every parameter of the signature.
    """
    for name in type(estimator)._get_param_names():
        setattr(estimator, name, arguments[name])


@dataclass
class FitPlan:
    """What the base decided for one fit, handed to every hook.

    ``module`` is the network to train, set once it is built (before
    ``_make_batches``), for a loss that the network computes itself (a CRF's).
    """

    device: torch.device
    dtype: torch.dtype
    seed: int
    incremental: bool
    continuing: bool
    early_stopping: bool
    module: torch.nn.Module | None = None


@dataclass
class FitData:
    """A family's validated training data, as its hooks need it.

    ``X`` and ``y`` are what scikit-learn's callbacks and a user's ``scoring``
    see; ``stratify`` (labels or None) is what the validation split keeps in
    proportion; ``validation`` holds explicit validation data (e.g. ``X_val``),
    in which case nothing is held out. ``extra`` is the family's own.
    """

    n_samples: int
    X: object = None
    y: object = None
    sample_weight: np.ndarray | None = None
    stratify: np.ndarray | None = None
    validation: object = None
    callback_metadata: dict | None = None
    extra: dict = field(default_factory=dict)


def held_out_split(n_samples, fraction, seed, stratify=None, hint=""):
    """Indices of the training rows and of the ``fraction`` held out.

    The one rule of every estimator: the split keeps the classes of
    ``stratify`` in proportion whenever every class has two rows and both
    parts have room for every class; otherwise it is a plain random split. At
    least two rows must be held out (scikit-learn's rule) and one left to
    train on. ``hint`` ends the error messages (another way out the family
    offers, such as explicit validation data).
    """
    n_validation = int(np.ceil(fraction * n_samples))
    if n_validation < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            f"or the size of your dataset (validation_fraction={fraction} of "
            f"{n_samples} samples holds out {n_validation}).{hint}"
        )
    if n_validation >= n_samples:
        raise ValueError(
            f"validation_fraction={fraction} of {n_samples} samples leaves none "
            f"to train on: lower 'validation_fraction' or add samples.{hint}"
        )
    if stratify is not None:
        _, counts = np.unique(stratify, return_counts=True)
        room = min(n_validation, n_samples - n_validation)
        if counts.min() < 2 or room < len(counts):
            stratify = None
    return train_test_split(
        np.arange(n_samples),
        test_size=fraction,
        random_state=seed % (2**32),
        stratify=stratify,
    )


class DeepEstimator(
    CallbackSupportMixin, HostPicklingMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base of every estimator of sklearn_deep; not for direct use.

    With a scikit-learn that has ``sklearn.callback``, ``set_callbacks`` takes
    its callbacks; each epoch is a task of the fit.
    """

    # Paragraphs of the parameter table the family words differently.
    _training_docs = {}
    # Type lines of the parameter table the family narrows.
    _training_types = {}
    # What the family offers when too few samples can be held out.
    _validation_hint = ""
    # The fitted attributes the family sets besides the training ones and
    # ``module_``: with them, the only names ``sklearn_deep.load`` restores
    # (``_restorable_attributes``). List every one, private ones included.
    _fitted_attributes = ()
    # Whether reaching max_iter is a ConvergenceWarning: not for a family
    # whose training has a fixed budget by design (a GAN's game has no
    # convergence test).
    _warns_at_max_iter = True
    # scikit-learn's HTML repr links an estimator's name to its API page: ours
    # are the pages Sphinx's autosummary writes from docs/api.rst, named after
    # the public path (``generated/sklearn_deep.MLPClassifier.html``).
    _doc_link_module = "sklearn_deep"
    _doc_link_template = (
        DOCS_URL + "/generated/{estimator_module}.{estimator_name}.html"
    )

    def _doc_link_url_param_generator(self):
        return {
            "estimator_module": public_module(type(self)),
            "estimator_name": type(self).__name__,
        }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The table's constraints for the training parameters the class takes;
        # the family's own entries (e.g. a narrower "solver") win.
        cls._parameter_constraints = {
            **training_constraints(cls._training_parameter_names()),
            **getattr(cls, "_parameter_constraints", {}),
        }
        doc = cls.__dict__.get("__doc__")
        if doc and TRAINING_PARAMETERS_MARKER in doc:
            cls.__doc__ = doc.replace(
                TRAINING_PARAMETERS_MARKER, cls._training_parameter_docs() + "\n"
            )

    @classmethod
    def _training_parameter_names(cls):
        """The parameters of ``__init__`` from the parameter table, in order."""
        if cls.__init__ is object.__init__:
            return []
        names = inspect.signature(cls.__init__).parameters
        return [name for name in names if name in TRAINING_PARAMETERS]

    @classmethod
    def _training_parameter_docs(cls):
        signature = inspect.signature(cls.__init__)
        names = cls._training_parameter_names()
        defaults = {name: signature.parameters[name].default for name in names}
        return training_docs(
            names, defaults=defaults, docs=cls._training_docs, types=cls._training_types
        )

    def __setstate__(self, state):
        super().__setstate__(state)
        # A pickle from an earlier version lacks the parameters added since:
        # they take their defaults, as sklearn_deep.load gives them.
        signature = inspect.signature(type(self).__init__)
        for name in type(self)._get_param_names():
            if name not in self.__dict__:
                setattr(self, name, signature.parameters[name].default)

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _validate_fit_data(self, X, y, fit, **fit_params):
        """Validate and encode the training data; return a ``FitData``."""

    def _prepare_encoding(self, data, train_rows, fit):
        """Learn what encoding the inputs needs from the training rows."""

    @abstractmethod
    def _build_module(self, device, dtype, generator):
        """The network of this estimator, its weights drawn from ``generator``."""

    @abstractmethod
    def _make_batches(self, data, train_rows, config, fit):
        """The training minibatches (``Batches``) over ``train_rows``."""

    @abstractmethod
    def _loss_function(self, data, fit):
        """``loss(output, target, sample_weight) -> scalar tensor``."""

    @abstractmethod
    def _validation_score(self, data, validation_rows, fit):
        """``score(module) -> float`` on the held-out data; higher is better."""

    def _after_fit(self, data):
        """Set fitted attributes beyond the training ones."""

    def _training_step(self, module, loss, config, fit):
        """The engine's step (``_training/_steps.py``); None: the solver's."""
        return None

    def _config_overrides(self, data, n_train, device):
        """Config values the family decides from the data and the device
        (e.g. the batch size)."""
        return {"batch_size": self._resolved_batch_size(data.n_samples)}

    # ------------------------------------------------------------ the template
    def _fit(self, X, y=None, *, incremental=False, **fit_params):
        """Fit (or go on fitting) ``self``; a failure leaves it as it was."""
        return fit_or_restore(self, self._fit_template, X, y, incremental, fit_params)

    def _fit_template(self, X, y, incremental, fit_params):
        fit = FitPlan(
            device=resolve_device(self.device),
            dtype=TORCH_DTYPES[getattr(self, "dtype", "float32")],
            seed=0,
            incremental=incremental,
            continuing=self._continues(incremental),
            # A family without validation (a GAN) takes no early_stopping.
            early_stopping=getattr(self, "early_stopping", False) and not incremental,
        )
        data = self._validate_fit_data(X, y, fit, **fit_params)
        fit.seed = seed_from_random_state(self.random_state)
        train_rows = validation_rows = None
        if fit.early_stopping and data.validation is None:
            train_rows, validation_rows = held_out_split(
                data.n_samples,
                self.validation_fraction,
                fit.seed,
                data.stratify,
                hint=self._validation_hint,
            )
            weight = data.sample_weight
            if weight is not None and not np.any(weight[validation_rows]):
                # The weighted validation score would be 0 / 0. (The training
                # rows get the same check from the batches.)
                raise ValueError(
                    "Sample weights must contain at least one non-zero number "
                    "among the rows held out for validation "
                    f"(validation_fraction={self.validation_fraction}): give "
                    "some of them weight, hold out more rows, or fit without "
                    "early_stopping."
                )
        self._prepare_encoding(data, train_rows, fit)
        n_train = data.n_samples if train_rows is None else len(train_rows)
        config = TrainingConfig.from_params(
            {
                name: getattr(self, name)
                for name in self._training_parameter_names()
                if TRAINING_PARAMETERS[name].in_config
            },
            early_stopping=fit.early_stopping,
            seed=fit.seed,
            device=fit.device,
            verbose=int(self.verbose),
            **self._config_overrides(data, n_train, fit.device),
        )
        module, state = self._module_and_state(fit)
        fit.module = module
        batches = self._make_batches(data, train_rows, config, fit)
        loss = self._loss_function(data, fit)
        score = (
            self._validation_score(data, validation_rows, fit)
            if fit.early_stopping
            else None
        )
        max_epochs = 1 if incremental else self.max_iter
        callbacks = EpochCallbacks.start(
            self,
            data.X,
            data.y,
            max_epochs=max_epochs,
            metadata=data.callback_metadata,
        )
        epochs_before = 0 if state is None else state.n_iter
        state = self._train(module, loss, batches, config, state, fit, score, callbacks)
        self.module_ = module
        if self._continuable():
            self._training_state = state
        attributes = state.fitted_attributes(fit.early_stopping)
        # scikit-learn's rule: n_iter_ counts the epochs of this call (a
        # warm-started fit runs at most max_iter more, a partial_fit one),
        # while t_, loss_curve_ and history_ go on across calls.
        attributes["n_iter_"] = state.n_iter - epochs_before
        for name, value in attributes.items():
            setattr(self, name, value)
        self._after_fit(data)
        # What the network was built from, for save to check against.
        self._fitted_network = self._network_description()
        if callbacks is not None:
            callbacks.close()
        return self

    def _train(
        self, module, loss, batches, config, state, fit, score, callbacks, epochs=None
    ):
        """Run the engine; a family may split training into phases here."""
        if epochs is None:
            epochs = 1 if fit.incremental else self.max_iter
        return train(
            module,
            loss,
            batches,
            config,
            state=state,
            max_epochs=epochs,
            validation_score=score,
            warn_on_max_iter=not fit.incremental and self._warns_at_max_iter,
            description=type(self).__name__,
            callbacks=callbacks,
            n_threads=self.n_threads,
            step=self._training_step(module, loss, config, fit),
        )

    # ------------------------------------------------------- steps of the fit
    @classmethod
    def _continuable(cls):
        """Whether fits of this class can go on (``warm_start``/``partial_fit``)."""
        return "warm_start" in cls._get_param_names() or hasattr(cls, "partial_fit")

    def _continues(self, incremental):
        """Whether this fit goes on from the fitted network."""
        return (
            self._continuable()
            and hasattr(self, "module_")
            and hasattr(self, "_training_state")
            and (incremental or getattr(self, "warm_start", False))
        )

    def _module_and_state(self, fit):
        """The network to train and the engine state to go on from.

        A continued fit trains a copy of the fitted network, so that a failure
        leaves ``module_`` as it was.
        """
        if not fit.continuing:
            return self._new_module(fit.seed, fit.device, fit.dtype), None
        self._check_same_network()
        module = copy.deepcopy(self.module_)
        state = copy.deepcopy(self._training_state)
        if not fit.incremental:
            # A warm-started fit is a new run from the current weights.
            restart(state)
        return module, state

    def _check_same_network(self):
        """Raise if the parameters now describe another network than ``module_``.

        ``warm_start`` and ``partial_fit`` go on with the fitted network; a
        parameter changed since (more filters, other hidden layers) would be
        silently ignored, and the saved file would not load.
        """
        try:
            skeleton = self._shape_module()
        except NotImplementedError:  # a network given as an instance
            return
        expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
        fitted = {k: tuple(v.shape) for k, v in self.module_.state_dict().items()}
        if expected != fitted:
            raise ValueError(
                f"The parameters of this {type(self).__name__} describe another "
                "network than the fitted one, which warm_start and partial_fit "
                "go on training: set warm_start=False (or fit anew) to train the "
                "network they describe."
            )

    def _network_description(self):
        """The network the parameters describe, as text; None if not known."""
        spec = self._network_spec()
        return None if spec is None else repr(spec)

    def _check_network_unchanged(self):
        """Raise if a parameter changed since ``fit`` describes another network.

        ``sklearn_deep.save`` writes the parameters, from which ``load``
        rebuilds the network: a parameter set after ``fit`` that changes the
        network (``n_heads``, ``activation``) would load as another model than
        the fitted one, even where no tensor shape tells.
        """
        fitted = getattr(self, "_fitted_network", None)
        if fitted is not None and self._network_description() != fitted:
            raise ValueError(
                f"A parameter of this {type(self).__name__} that shapes its "
                "network changed since it was fitted: the saved file would "
                "load as another model. Set it back, or fit again, before "
                "saving."
            )

    def _new_module(self, seed, device, dtype):
        """``_build_module`` with a generator seeded with ``seed``.

        The network's initial weights come from that generator alone: the
        global one, which belongs to the user (and to the other threads of the
        process), is never read or reseeded.
        """
        module = self._build_module(device, dtype, make_generator(seed))
        return module.to(device=device)

    def _rebuild_module(self):
        """A network of the fitted shape on the CPU, for ``sklearn_deep.load``.

        Its weights are placeholders that ``load`` overwrites with the saved
        ones.
        """
        dtype = TORCH_DTYPES[getattr(self, "dtype", "float32")]
        return self._new_module(0, torch.device("cpu"), dtype)

    # ------------------------------------------ what sklearn_deep.load checks
    @classmethod
    def _restorable_attributes(cls):
        """The fitted attributes ``sklearn_deep.load`` may set: no other name."""
        training = TrainingState(learning_rate=0.0).fitted_attributes(False)
        names = {*training, *cls._fitted_attributes, "_fitted_network"}
        if cls._continuable():
            names.add("_training_state")
        return frozenset(names)

    def _network_spec(self):
        """``(network class, args, kwargs)`` of the fitted shape, or None.

        Families whose network is built from plain sizes give it once here;
        ``_build_module`` and ``_shape_module`` both build from it.
        """
        return None

    def _shape_module(self):
        """The network of the fitted shape on torch's "meta" device.

        ``sklearn_deep.load`` compares its tensors' shapes and dtypes with the
        file's before building the network for real: nothing may be allocated
        here, whatever sizes the parameters declare. A family builds its
        network's class under ``torch.device("meta")`` (not through
        ``build_uninitialized``, which gives it memory on the CPU).
        """
        spec = self._network_spec()
        if spec is None:
            raise NotImplementedError(
                f"{type(self).__name__} does not implement _shape_module."
            )
        factory, args, kwargs = spec
        with torch.device("meta"):
            module = factory(*args, **kwargs)
        return module.to(TORCH_DTYPES[getattr(self, "dtype", "float32")])

    def _check_fitted_state(self, *, n_weights, n_bytes):
        """Raise ``ValueError`` if the restored state does not hang together.

        ``sklearn_deep.load`` calls it once the parameters and fitted
        attributes are read from a file, before any network is built (the
        network's own tensors are then compared with the file's by
        ``_shape_module``). A family checks what prediction relies on, and
        bounds by ``n_weights`` (the network tensors in the file) and
        ``n_bytes`` (the file's size) what building the network would cost
        beyond its tensors: layers, a graph's nodes.
        """
        self._validate_params()

    # prediction_block_size="auto": samples per forward pass on the CPU and on
    # a CUDA device.
    _auto_prediction_block = (PREDICT_BLOCK_ROWS, PREDICT_BLOCK_ROWS_CUDA)

    def _prediction_block(self, device):
        """Samples per forward pass of prediction on ``device``."""
        size = getattr(self, "prediction_block_size", "auto")
        if size != "auto":
            return size
        cpu, cuda = self._auto_prediction_block
        return cuda if torch.device(device).type == "cuda" else cpu

    def _resolved_batch_size(self, n_samples):
        """``batch_size`` for ``n_samples``: "auto" is ``min(200, n_samples)``."""
        if getattr(self, "solver", None) == "lbfgs":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        return self.batch_size

    def _user_scoring(self, X_val, y_val, **score_params):
        """The user's ``scoring`` as ``score(module)`` on held-out data."""
        scorer = check_scoring(self, self.scoring)

        def score(module):
            # The scorer needs an estimator: a shallow copy holding the
            # network being trained answers for it.
            view = copy.copy(self)
            view.module_ = module
            return scorer(view, X_val, y_val, **score_params)

        return score


def restart(state):
    """Make ``state`` start a new run from the current weights.

    The optimiser's moments, the patience count and the best loss or score
    belong to the run that ended; the epoch count and the history go on.
    """
    state.optimizer_state = None
    state.no_improvement_count = 0
    state.best_loss, state.best_validation_score = np.inf, -np.inf


class TabularMixin:
    """What estimators of 2-D float X share: validation and blocked prediction.

    X is validated straight to the network's float dtype, once: the tensors
    then share its memory on the CPU, and the finiteness check sees values that
    would overflow float32 inside the network. Sparse X stays a scipy matrix
    that batches make dense one at a time.
    """

    def _make_batches(self, data, train_rows, config, fit):
        """Batches of the network's inputs and targets (``data.extra``)."""
        target = data.extra["target"]
        return minibatches(
            self,
            data.extra["inputs"],
            to_tensor(target, self._target_dtype(fit.dtype), fit.device),
            data,
            train_rows,
            config,
            fit,
        )

    def _target_dtype(self, dtype):
        """The targets' torch dtype (class indices override it with long)."""
        return dtype

    def _validation_score(self, data, validation_rows, fit):
        """The score on the held-out rows: ``_validation_metric`` of the outputs.

        The held-out rows are gathered from the network's inputs
        (``data.extra["inputs"]``) one block at a time, so that no copy of them
        stays in memory (a user's ``scoring`` needs them as an array).
        """
        y_val = data.y[validation_rows]
        weight = data.sample_weight
        sw_val = None if weight is None else weight[validation_rows]
        if self.scoring is not None:
            X_val = data.X[validation_rows]
            return self._user_scoring(X_val, y_val, sample_weight=sw_val)
        inputs = data.extra["inputs"]
        block = self._prediction_block(fit.device)
        blocks = np.array_split(validation_rows, max(1, len(validation_rows) // block))

        def score(module):
            outputs = [
                to_numpy(self._activate(forward_rows(module, inputs[rows])))
                for rows in blocks
            ]
            return self._validation_metric(y_val, np.concatenate(outputs), sw_val)

        return score

    def _validate_float_data(self, X, y="no_validation", **kwargs):
        dtype = np.float32 if self.dtype == "float32" else np.float64
        try:
            with np.errstate(over="ignore"):
                return validate_data(
                    self, X, y, dtype=dtype, accept_sparse=["csr", "csc"], **kwargs
                )
        except ValueError as exc:
            if "dtype('float32')" not in str(exc):
                raise
            raise ValueError(
                f"{exc} {type(self).__name__} computes in float32, where "
                "finite values beyond about 3.4e38 overflow to infinity: scale X "
                "(e.g. StandardScaler) or fit with dtype='float64'."
            ) from exc

    def _validated_input(self, X):
        """``X`` checked for prediction: fitted estimator, same features."""
        check_is_fitted(self)
        return self._validate_float_data(X, reset=False)

    def _check_tabular_fitted_state(self, n_weights):
        """Check what every 2-D network's restored state shares; its widths."""
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        check_layer_count(len(hidden_layer_sizes) + 1, n_weights)
        check_fitted_count(self, "n_features_in_")
        check_feature_names(self)
        return hidden_layer_sizes

    def _check_batch_norm_samples(self, n_samples):
        if getattr(self, "batch_norm", False) and n_samples < 2:
            raise ValueError(
                f"batch_norm=True needs at least 2 samples to fit, got {n_samples}."
            )

    @staticmethod
    def _input_tensor(X, device, dtype):
        return X if sp.issparse(X) else to_tensor(X, dtype, device)

    @within_thread_budget
    def _predict_in_blocks(self, forward, X, n_outputs):
        """``forward`` of the fitted network on the rows of ``X``, as float64."""
        parameter = next(self.module_.parameters())
        self.module_.eval()
        output = predict_in_blocks(
            forward,
            X,
            dtype=parameter.dtype,
            device=parameter.device,
            block_rows=self._prediction_block(parameter.device),
        )
        if output is None:
            return np.empty((0, n_outputs))
        return output.astype(np.float64, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def minibatches(estimator, inputs, target, data, train_rows, config, fit):
    """The engine's ``Batches`` of a fit whose rows are whole samples.

    ``inputs`` (a tensor, a sparse matrix or a dict of tensors) and ``target``
    are indexed by sample; L-BFGS takes the training rows whole, in order.
    """
    weight = data.sample_weight
    return Batches(
        inputs,
        target,
        None if weight is None else to_tensor(weight, fit.dtype, fit.device),
        config.batch_size,
        shuffle=estimator.shuffle and estimator.solver != "lbfgs",
        dtype=fit.dtype,
        rows=None
        if train_rows is None
        else torch.as_tensor(train_rows, device=fit.device),
    )


@torch.inference_mode()
def forward_rows(module, inputs):
    """The raw output of ``module`` on ``inputs`` without building a graph.

    ``inputs`` is a tensor, or a scipy sparse matrix made dense on the module's
    device.
    """
    if not isinstance(inputs, torch.Tensor):
        parameter = next(module.parameters())
        inputs = torch.as_tensor(
            inputs.toarray(), dtype=parameter.dtype, device=parameter.device
        )
    return module(inputs)
