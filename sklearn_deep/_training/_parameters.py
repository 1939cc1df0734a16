"""The one table of training parameters: name, default, constraint and docs.

Every estimator takes a subset of these parameters (its family declares which,
and may give some another default, constraint or paragraph). From the table come
the estimators' ``_parameter_constraints`` entries (``training_constraints``),
the ``TrainingConfig`` the engine reads (``_config.py``) and the parameter
paragraphs of their docstrings (``training_docs``). Adding a training parameter
is one entry here plus the engine code that reads it.
"""

import inspect
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from sklearn_deep._training._precision import PRECISIONS
from sklearn_deep.utils._sklearn_compat import Interval, Options, StrOptions

SOLVERS = ("sgd", "adagrad", "rmsprop", "adam", "lbfgs")
LEARNING_RATE_SCHEDULES = ("constant", "linear", "invscaling", "adaptive")


@dataclass(frozen=True)
class TrainingParameter:
    """One training hyper-parameter.

    ``in_config`` says whether the engine reads it from ``TrainingConfig``;
    the others (``random_state``, ``warm_start``, ...) are read by the
    estimator base while it prepares a fit.
    """

    name: str
    default: object
    constraints: list
    type_doc: str
    doc: str
    in_config: bool = True


def _entry(name, default, constraints, type_doc, doc, in_config=True):
    return TrainingParameter(name, default, constraints, type_doc, doc, in_config)


TRAINING_PARAMETERS = {
    p.name: p
    for p in [
        _entry(
            "solver",
            "adam",
            [StrOptions(set(SOLVERS))],
            '{"adam", "sgd", "adagrad", "rmsprop", "lbfgs"}',
            """The optimiser. "sgd" uses ``momentum`` and ``nesterovs_momentum``;
"rmsprop" averages squared gradients with decay ``rho``; "adam" uses
``beta_1``, ``beta_2`` and ``epsilon``; "lbfgs" is full-batch L-BFGS
with a strong-Wolfe line search, good for small data sets.""",
        ),
        _entry(
            "alpha",
            0.0001,
            [Interval(Real, 0, None, closed="left")],
            "float",
            """Strength of the L2 penalty on the weights (not the biases), scaled by
``1 / batch_size`` as in scikit-learn.""",
        ),
        _entry(
            "alpha_l1",
            0.0,
            [Interval(Real, 0, None, closed="left")],
            "float",
            """Strength of the L1 penalty on the weights (not the biases), scaled like
``alpha``. Drives the weights of irrelevant inputs towards zero.""",
        ),
        _entry(
            "batch_size",
            "auto",
            [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
            'int or "auto"',
            """Minibatch size; "auto" means ``min(200, n_samples)``. Ignored by
"lbfgs".""",
        ),
        _entry(
            "learning_rate",
            "constant",
            [StrOptions(set(LEARNING_RATE_SCHEDULES))],
            '{"constant", "linear", "invscaling", "adaptive"}',
            """Learning-rate schedule, applied to every solver but "lbfgs":

- "constant": ``learning_rate_init`` throughout.
- "linear": ``eta_t = (1 - t/tau) eta_0 + (t/tau) eta_tau`` at epoch
  ``t < tau``, then ``eta_tau``, with ``tau = decay_epochs`` and
  ``eta_tau = learning_rate_final``. A fit whose schedule has decayed
  to its end (``tau`` epochs run) is finished by design: reaching
  ``max_iter`` then raises no ``ConvergenceWarning``.
- "invscaling": ``eta_0 / (t_ + 1) ** power_t``, ``t_`` the number of
  samples seen, as in scikit-learn.
- "adaptive": ``eta_0`` until the loss (or validation score) has not
  improved by ``tol`` for ``n_iter_no_change`` epochs, then divided by
  5; training stops once it falls below 1e-6.""",
        ),
        _entry(
            "learning_rate_init",
            0.001,
            [Interval(Real, 0, None, closed="neither")],
            "float",
            "The initial step size ``eta_0``.",
        ),
        _entry(
            "learning_rate_final",
            None,
            [None, Interval(Real, 0, None, closed="left")],
            "float",
            '``eta_tau`` of the "linear" schedule; None means ``eta_0 / 100``.',
        ),
        _entry(
            "decay_epochs",
            None,
            [None, Interval(Integral, 1, None, closed="left")],
            "int",
            '``tau`` of the "linear" schedule; None means ``max_iter``.',
        ),
        _entry(
            "warmup",
            0.0,
            [Interval(Real, 0, None, closed="left")],
            "float",
            """Epochs of learning-rate warm-up: over the first ``warmup`` epochs
(fractions allowed) the step size grows linearly, batch by batch, from
nearly 0 to what the schedule gives, which it follows from then on.
It is the usual recipe for attention trained from scratch (Vaswani et
al., 2017), whose first large steps can otherwise destabilise training.
0 disables it. Ignored by "lbfgs".""",
        ),
        _entry(
            "precision",
            "fp32",
            [StrOptions(set(PRECISIONS))],
            '{"fp32", "bf16", "fp16"}',
            """Arithmetic of the training forward passes: "fp32", or mixed
precision, "bf16" or "fp16": matrix products and convolutions in 16-bit
floats (``torch.autocast``) while weights, gradients and optimiser state
stay float32; "fp16" also scales the loss against gradient underflow.
"fp16" runs on CUDA only, "bf16" on CUDA GPUs that have it (Ampere and
later) and on the CPU (fast only with bfloat16 instructions); elsewhere
training warns and runs in float32. Prediction stays in full precision.
Ignored by "lbfgs".""",
        ),
        _entry(
            "power_t",
            0.5,
            [Interval(Real, 0, None, closed="left")],
            "float",
            'Exponent of the "invscaling" schedule.',
        ),
        _entry(
            "max_iter",
            200,
            [Interval(Integral, 1, None, closed="left")],
            "int",
            'Maximum number of epochs (iterations of L-BFGS for "lbfgs").',
        ),
        _entry(
            "shuffle",
            True,
            ["boolean"],
            "bool",
            "Whether to shuffle the samples at every epoch.",
        ),
        _entry(
            "random_state",
            None,
            ["random_state"],
            "int, RandomState instance or None",
            """Seeds weight initialisation, shuffling, dropout and the validation split.
Pass an int for reproducible results. Every draw comes from the fit's own
generators: torch's global generator is neither read nor reseeded, and fits
running at once in several threads give their serial results.""",
            in_config=False,
        ),
        _entry(
            "tol",
            1e-4,
            [Interval(Real, 0, None, closed="left")],
            "float",
            "Tolerance for the convergence and early-stopping tests.",
        ),
        _entry(
            "verbose",
            False,
            ["verbose"],
            "bool or int",
            """Whether to report progress: in a terminal, a progress bar with
the loss and validation score; elsewhere (a log file, a notebook's captured
output, CI), scikit-learn's line per epoch, ``Iteration N, loss = X`` (and
the validation score with early stopping). 2 or more prints the lines in a
terminal too.""",
        ),
        _entry(
            "warm_start",
            False,
            ["boolean"],
            "bool",
            "Whether ``fit`` continues from the weights of the previous fit.",
            in_config=False,
        ),
        _entry(
            "momentum",
            0.9,
            [Interval(Real, 0, 1, closed="both")],
            "float",
            'Momentum of "sgd", between 0 and 1.',
        ),
        _entry(
            "nesterovs_momentum",
            True,
            ["boolean"],
            "bool",
            'Whether "sgd" uses Nesterov\'s momentum.',
        ),
        _entry(
            "rho",
            0.9,
            [Interval(Real, 0, 1, closed="left")],
            "float",
            'Decay rate of the average of squared gradients of "rmsprop".',
        ),
        _entry(
            "clip_grad_norm",
            None,
            [None, Interval(Real, 0, None, closed="neither")],
            "float or None",
            """Rescale each batch's gradient to at most this Euclidean norm; None
disables clipping.""",
        ),
        _entry(
            "early_stopping",
            False,
            ["boolean"],
            "bool",
            """Whether to hold out ``validation_fraction`` of the data, stop when its
score has not improved by ``tol`` for ``n_iter_no_change`` epochs, and
restore the weights of the best epoch.""",
        ),
        _entry(
            "validation_fraction",
            0.1,
            [Interval(Real, 0, 1, closed="neither")],
            "float",
            """Share of the training data held out for early stopping: stratified
by class for classifiers whenever every class has two samples and both
parts have room for every class, otherwise a random split. At least two
samples must be held out and one left to train on.""",
            in_config=False,
        ),
        _entry(
            "beta_1",
            0.9,
            [Interval(Real, 0, 1, closed="left")],
            "float",
            "Decay rate of Adam's first-moment estimates.",
        ),
        _entry(
            "beta_2",
            0.999,
            [Interval(Real, 0, 1, closed="left")],
            "float",
            "Decay rate of Adam's second-moment estimates.",
        ),
        _entry(
            "epsilon",
            1e-8,
            [Interval(Real, 0, None, closed="neither")],
            "float",
            'Numerical-stability term of "adam", "adagrad" and "rmsprop".',
        ),
        _entry(
            "n_iter_no_change",
            10,
            [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
            "int or np.inf",
            """Epochs without improvement by ``tol`` before stopping (or, with
"adaptive", before dividing the learning rate).""",
        ),
        _entry(
            "weight_averaging",
            None,
            [
                None,
                Interval(Integral, 1, None, closed="left"),
                Interval(Real, 0, 1, closed="right"),
            ],
            "int, float or None",
            """After each epoch, use the mean of the weights reached at the end of the
last ``weight_averaging`` epochs, or of that fraction of ``max_iter``
(rounded up) when a float in (0, 1] (stochastic weight averaging;
training goes on from each epoch's own weights). Validation, early
stopping and the fitted network see the mean. Each ``partial_fit`` call
is one epoch, so it averages nothing. None keeps each epoch's own
weights.""",
        ),
        _entry(
            "moving_average_decay",
            None,
            [None, Interval(Real, 0, 1, closed="left")],
            "float or None",
            """Keep an exponential moving average of the weights,
``w_avg <- decay * w_avg + (1 - decay) * w`` after every update, and use
it, as ``weight_averaging`` uses its mean, after each epoch and at the end
of ``fit``; training goes on from the weights it reached. The decay of
update ``t`` is ``min(decay, (1 + t) / (10 + t))``, so that early updates
do not keep the initial weights in the average. 0.999 averages over about
the last 1,000 updates. None keeps each epoch's own weights.""",
        ),
        _entry(
            "max_fun",
            15000,
            [Interval(Integral, 1, None, closed="left")],
            "int",
            'Maximum number of loss evaluations of "lbfgs".',
        ),
        _entry(
            "scoring",
            None,
            [None, str, callable],
            "str, callable or None",
            """Validation score for early stopping, as for
:func:`sklearn.metrics.check_scoring`; None means the estimator's
``score``.""",
            in_config=False,
        ),
        _entry(
            "device",
            "auto",
            [str, torch.device],
            "str or torch.device",
            """Where to train: "auto" (CUDA when available, else the CPU), "cpu",
"cuda" or "cuda:N".""",
            in_config=False,
        ),
        _entry(
            "prediction_block_size",
            "auto",
            # Bounded: every block is allocated whole, and a loaded file's
            # parameters are untrusted.
            [StrOptions({"auto"}), Interval(Integral, 1, 2**20, closed="both")],
            'int or "auto"',
            """Samples per forward pass when predicting (and transforming,
scoring): the network sees at most this many at once, which bounds the
memory prediction takes on any input. "auto": 256 rows on the CPU and
8,192 on a CUDA device, where a block's cost is mostly its kernel
launches and copies. Every block of a call is padded to this size, so a
row's prediction does not depend on the rows predicted with it. At
most 2**20.""",
            in_config=False,
        ),
        _entry(
            "dtype",
            "float32",
            [StrOptions({"float32", "float64"})],
            '{"float32", "float64"}',
            "Floating-point precision of the network and of the computations.",
            in_config=False,
        ),
        _entry(
            "n_threads",
            None,
            [None, Interval(Integral, 1, None, closed="left")],
            "int or None",
            """At most this many intra-op threads for torch while fitting and
predicting, restored afterwards; a lower limit already in force (a joblib
or Dask worker's, threadpoolctl's) is kept. None leaves torch's setting, which joblib's
workers already limit, alone. On a 2-core machine a 2-thread torch fit
beside another busy process ran 10-200x slower than with 1 thread: set
1 when other work shares the cores outside joblib.""",
            in_config=False,
        ),
    ]
}


def training_constraints(names, overrides=None):
    """``_parameter_constraints`` entries of the training parameters ``names``.

    ``overrides`` maps a name to the constraint a family uses instead (e.g. a
    tagger that offers no "lbfgs").
    """
    overrides = overrides or {}
    return {
        name: overrides.get(name, TRAINING_PARAMETERS[name].constraints)
        for name in names
    }


def training_docs(names, defaults=None, docs=None, types=None, indent=4):
    """The numpydoc paragraphs of the training parameters ``names``.

    ``defaults``, ``docs`` and ``types`` map a name to what the family gives
    instead of the table's default value, paragraph and type line; a
    paragraph may be indented as a docstring is.
    """
    defaults, docs, types = defaults or {}, docs or {}, types or {}
    pad = " " * indent
    paragraphs = []
    for name in names:
        entry = TRAINING_PARAMETERS[name]
        default = defaults.get(name, entry.default)
        header = (
            f"{name} : {types.get(name, entry.type_doc)}, default={_shown(default)}"
        )
        body = inspect.cleandoc(docs.get(name, entry.doc)).splitlines()
        lines = [pad + header] + [
            (pad + "    " + line) if line else "" for line in body
        ]
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _shown(value):
    """A default as numpydoc shows it: strings in double quotes."""
    return f'"{value}"' if isinstance(value, str) else repr(value)
