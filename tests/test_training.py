"""Behavioural tests of the training engine (``sklearn_deep._training``).

Each test checks what the documentation promises against a formula computed by
hand, or against scikit-learn's own ``MLPRegressor`` where the behaviour is meant
to be the same: the optimisers' updates, the learning-rate schedules, the
penalties, early stopping, convergence, seeding, the history, weight
initialisation, a clean stop on Ctrl-C, batch norm and dropout.
"""

import copy
import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from sklearn_deep._training import LOSSES, Batches, TrainingConfig, TrainingState, train
from sklearn_deep._training._engine import run_training
from sklearn_deep._training._hooks import Hook
from sklearn_deep._training._optimizers import _direct_adam_possible, make_optimizer
from sklearn_deep._training._schedules import scheduled_learning_rate
from sklearn_deep.neural_network import MLPClassifier, MLPRegressor
from sklearn_deep.nn import initialize_linear
from sklearn_deep.utils._torch import seed_from_random_state

CPU = torch.device("cpu")


# --------------------------------------------------------------------- helpers
def _config(**overrides):
    """A config for direct calls to ``train``: no penalty, no early stop."""
    params = dict(
        solver="sgd",
        learning_rate_init=0.1,
        momentum=0.0,
        alpha=0.0,
        max_iter=1,
        tol=0.0,
        n_iter_no_change=1000,
        seed=0,
        device=CPU,
    )
    params.update(overrides)
    return TrainingConfig(**params)


def _linear_problem(n_samples=8, n_features=3, n_outputs=2, sample_weight=None):
    """A float64 ``nn.Linear`` with non-trivial weights and one full batch."""
    rng = np.random.RandomState(0)
    X = rng.randn(n_samples, n_features)
    y = rng.randn(n_samples, n_outputs)
    module = torch.nn.Linear(n_features, n_outputs).double()
    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(rng.randn(n_outputs, n_features)))
        module.bias.copy_(torch.as_tensor(rng.randn(n_outputs)))
    batches = Batches(
        torch.as_tensor(X),
        torch.as_tensor(y),
        None if sample_weight is None else torch.as_tensor(sample_weight),
        batch_size=n_samples,
        shuffle=False,
    )
    return module, batches, X, y


def _params(module):
    return module.weight.detach().numpy().copy(), module.bias.detach().numpy().copy()


def _squared_error_grads(W, b, X, y):
    """Gradients of 0.5 * mean over samples and outputs of (X W^T + b - y)^2."""
    residual = X @ W.T + b - y
    return residual.T @ X / residual.size, residual.sum(axis=0) / residual.size


def _hand_updates(solver, W, b, X, y, n_steps, lr, **hyper):
    """``n_steps`` full-batch updates written out from each optimiser's formula.

    The momentum forms are scikit-learn's (velocity v = mu v - lr g); the
    adaptive ones follow their papers (Duchi et al. 2011, Tieleman & Hinton 2012,
    Kingma & Ba 2015).
    """
    params = [W.copy(), b.copy()]
    memory = [{} for _ in params]
    mu, eps = hyper.get("momentum", 0.0), hyper.get("epsilon", 1e-8)
    for t in range(1, n_steps + 1):
        grads = _squared_error_grads(params[0], params[1], X, y)
        for p, g, m in zip(params, grads, memory, strict=True):
            if solver in ("sgd", "momentum", "nesterov"):
                v = mu * m.get("v", 0.0) - lr * g
                m["v"] = v
                if solver == "sgd":
                    p -= lr * g
                elif solver == "momentum":
                    p += v
                else:
                    p += mu * v - lr * g
            elif solver == "adagrad":
                m["G"] = m.get("G", 0.0) + g**2
                p -= lr * g / (np.sqrt(m["G"]) + eps)
            elif solver == "rmsprop":
                rho = hyper["rho"]
                m["E"] = rho * m.get("E", 0.0) + (1 - rho) * g**2
                p -= lr * g / (np.sqrt(m["E"]) + eps)
            elif solver == "adam":
                b1, b2 = hyper["beta_1"], hyper["beta_2"]
                m["m"] = b1 * m.get("m", 0.0) + (1 - b1) * g
                m["v"] = b2 * m.get("v", 0.0) + (1 - b2) * g**2
                m_hat, v_hat = m["m"] / (1 - b1**t), m["v"] / (1 - b2**t)
                p -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return params


def _regression_data(n_samples=100, n_features=5, noise=0.1, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    y = X @ rng.randn(n_features) + 0.5 + noise * rng.randn(n_samples)
    return X, y


def _classification_data(n_samples=200, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


# ------------------------------------------------------------------ optimisers
SOLVER_CASES = {
    "sgd": ("sgd", dict(solver="sgd", momentum=0.0)),
    "momentum": (
        "momentum",
        dict(solver="sgd", momentum=0.9, nesterovs_momentum=False),
    ),
    "nesterov": (
        "nesterov",
        dict(solver="sgd", momentum=0.9, nesterovs_momentum=True),
    ),
    "adagrad": ("adagrad", dict(solver="adagrad")),
    "rmsprop": ("rmsprop", dict(solver="rmsprop", rho=0.9)),
    "adam": ("adam", dict(solver="adam", beta_1=0.9, beta_2=0.999)),
}


@pytest.mark.parametrize("case", list(SOLVER_CASES))
def test_optimizer_update_follows_its_formula(case):
    formula, options = SOLVER_CASES[case]
    lr, n_steps = 0.05, 3
    module, batches, X, y = _linear_problem()
    W0, b0 = _params(module)
    config = _config(learning_rate_init=lr, **options)

    state = train(
        module,
        LOSSES["squared_error"],
        batches,
        config,
        max_epochs=n_steps,
        warn_on_max_iter=False,
    )

    hyper = {k: v for k, v in options.items() if k != "solver"}
    W_hand, b_hand = _hand_updates(formula, W0, b0, X, y, n_steps, lr, **hyper)
    W, b = _params(module)
    np.testing.assert_allclose(W, W_hand, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b, b_hand, rtol=1e-9, atol=1e-12)
    # The reported loss of the first epoch is the loss at the initial weights.
    residual = X @ W0.T + b0 - y
    assert state.loss_curve[0] == pytest.approx(0.5 * np.mean(residual**2))
    assert state.n_iter == n_steps


@pytest.mark.parametrize("case", list(SOLVER_CASES))
def test_optimizer_first_step(case):
    """The well-known shape of each optimiser's very first step."""
    _, options = SOLVER_CASES[case]
    lr = 0.01
    module, batches, X, y = _linear_problem()
    W0, _ = _params(module)
    gW, _ = _squared_error_grads(*_params(module), X, y)
    train(
        module,
        LOSSES["squared_error"],
        batches,
        _config(learning_rate_init=lr, **options),
        max_epochs=1,
        warn_on_max_iter=False,
    )
    step = _params(module)[0] - W0
    expected = {
        # Momentum starts from zero velocity: the first step is plain SGD ...
        "sgd": -lr * gW,
        "momentum": -lr * gW,
        # ... except Nesterov's, which looks ahead along the new velocity.
        "nesterov": -(1 + 0.9) * lr * gW,
        # Adagrad and Adam normalise the first step to lr * sign(g).
        "adagrad": -lr * np.sign(gW),
        "adam": -lr * np.sign(gW),
        "rmsprop": -lr * np.sign(gW) / np.sqrt(1 - 0.9),
    }[case]
    np.testing.assert_allclose(step, expected, rtol=1e-5)


def test_lbfgs_reaches_least_squares_solution():
    X, y = _regression_data(n_samples=200, n_features=4)
    model = MLPRegressor(
        hidden_layer_sizes=(),
        solver="lbfgs",
        alpha=0.0,
        tol=1e-10,
        max_iter=200,
        random_state=0,
        device="cpu",
        dtype="float64",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    solution = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    np.testing.assert_allclose(model.coefs_[0].ravel(), solution[:-1], atol=1e-3)
    np.testing.assert_allclose(model.intercepts_[0], solution[-1:], atol=1e-3)
    # L-BFGS on a quadratic converges in a few dozen iterations, not hundreds.
    assert model.n_iter_ < 100


def test_lbfgs_ignores_learning_rate_init():
    """L-BFGS has its own line search: learning_rate_init must not scale it."""
    X, y = _regression_data(n_samples=200, n_features=4)
    coefs = []
    for learning_rate_init in (1e-3, 1.0):
        model = MLPRegressor(
            hidden_layer_sizes=(),
            solver="lbfgs",
            alpha=0.0,
            learning_rate_init=learning_rate_init,
            tol=1e-10,
            max_iter=200,
            random_state=0,
            device="cpu",
            dtype="float64",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            coefs.append(model.fit(X, y).coefs_[0])
    np.testing.assert_allclose(coefs[0], coefs[1], atol=1e-6)


# ------------------------------------------------------------------ schedules
def _rates_used_by_sgd(config, n_epochs):
    """The step sizes SGD actually took, read back from the bias updates.

    With the loss ``sum(output)`` the gradient of each bias is the number of
    rows, whatever the weights, so each epoch moves the bias by ``-lr_t * n``.
    """
    module, batches, _, _ = _linear_problem(n_samples=8)
    biases = []

    def loss_fn(output, target, sample_weight):
        biases.append(module.bias.detach().clone())
        return output.sum()

    state = train(
        module, loss_fn, batches, config, max_epochs=n_epochs, warn_on_max_iter=False
    )
    biases.append(module.bias.detach().clone())
    steps = -torch.diff(torch.stack(biases), dim=0)[:, 0].numpy() / 8
    return steps, np.asarray(state.history[:, "learning_rate"])


def test_linear_schedule_formula():
    eta_0, eta_tau, tau, n_epochs = 0.1, 0.01, 10, 15
    config = _config(
        learning_rate="linear",
        learning_rate_init=eta_0,
        learning_rate_final=eta_tau,
        decay_epochs=tau,
        max_iter=n_epochs,
    )
    used, recorded = _rates_used_by_sgd(config, n_epochs)
    t = np.arange(n_epochs)
    expected = np.where(t < tau, (1 - t / tau) * eta_0 + (t / tau) * eta_tau, eta_tau)
    np.testing.assert_allclose(recorded, expected, rtol=1e-12)
    np.testing.assert_allclose(used, expected, rtol=1e-9)
    # Half-way through the decay the rate is the mean of its two ends.
    assert recorded[tau // 2] == pytest.approx((eta_0 + eta_tau) / 2)
    assert recorded[0] == eta_0
    np.testing.assert_allclose(recorded[tau:], eta_tau)


def test_linear_schedule_defaults_and_state_function():
    """tau defaults to max_iter and eta_tau to 1% of eta_0."""
    config = _config(learning_rate="linear", learning_rate_init=0.2, max_iter=40)
    rates = [
        scheduled_learning_rate(config, TrainingState(0.2, n_iter=t))
        for t in (0, 20, 40, 100)
    ]
    assert rates == pytest.approx([0.2, (0.2 + 0.002) / 2, 0.002, 0.002])

    X, y = _regression_data()
    model = MLPRegressor(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate="linear",
        learning_rate_init=0.01,
        max_iter=20,
        tol=0,
        n_iter_no_change=1000,
        random_state=0,
        device="cpu",
    )
    model.fit(X, y)  # the schedule ran to its end: no ConvergenceWarning
    t = np.arange(20)
    expected = (1 - t / 20) * 0.01 + (t / 20) * 0.0001
    np.testing.assert_allclose(model.history_[:, "learning_rate"], expected)


def test_invscaling_schedule_formula():
    X, y = _regression_data(n_samples=50)
    eta_0, power_t, n_epochs = 0.05, 0.5, 8
    model = MLPRegressor(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=eta_0,
        power_t=power_t,
        batch_size=10,
        max_iter=n_epochs,
        tol=0,
        n_iter_no_change=1000,
        random_state=0,
        device="cpu",
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    samples_seen = 50 * np.arange(n_epochs)
    expected = eta_0 / (samples_seen + 1) ** power_t
    np.testing.assert_allclose(model.history_[:, "learning_rate"], expected)
    assert model.t_ == 50 * n_epochs

    # The rate the next epoch would use is the one scikit-learn ends with.
    config = TrainingConfig.from_params(model.get_params())
    sk = SkMLPRegressor(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=eta_0,
        power_t=power_t,
        batch_size=10,
        max_iter=n_epochs,
        tol=0,
        n_iter_no_change=1000,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        sk.fit(X, y)
    assert scheduled_learning_rate(config, model._training_state) == pytest.approx(
        sk._optimizer.learning_rate
    )

    used, _ = _rates_used_by_sgd(
        _config(learning_rate="invscaling", learning_rate_init=eta_0), 4
    )
    np.testing.assert_allclose(used, eta_0 / (8 * np.arange(4) + 1) ** 0.5)


def test_constant_schedule():
    config = _config(learning_rate="constant", learning_rate_init=0.03)
    used, recorded = _rates_used_by_sgd(config, 5)
    np.testing.assert_allclose(used, 0.03, rtol=1e-9)
    np.testing.assert_allclose(recorded, 0.03)


def test_adaptive_schedule_divides_by_five_when_the_loss_stalls():
    # Zero inputs and targets: the output is the zero bias, the loss is exactly
    # 0 from the first epoch on and never improves again.
    X, y = np.zeros((40, 3)), np.zeros(40)
    n, eta_0 = 3, 1e-3
    model = MLPRegressor(
        hidden_layer_sizes=(),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=eta_0,
        alpha=0.0,
        n_iter_no_change=n,
        max_iter=1000,
        random_state=0,
        device="cpu",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    rates = np.asarray(model.history_[:, "learning_rate"])
    # scikit-learn's rule: the first epoch improves on +inf; then the rate is
    # divided by 5 once n_iter_no_change + 1 epochs in a row fail to improve by
    # tol, and training stops once a stall finds the rate at 1e-6 or below.
    expected = [eta_0] * (n + 2)
    rate = eta_0
    while rate > 1e-6:
        rate /= 5
        expected += [rate] * (n + 1)
    np.testing.assert_allclose(rates, expected)
    assert model.n_iter_ == len(expected)

    # The same rule and stopping epoch as scikit-learn's adaptive SGD.
    sk = SkMLPRegressor(
        hidden_layer_sizes=(),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=eta_0,
        alpha=0.0,
        tol=1e9,
        n_iter_no_change=n,
        max_iter=1000,
        random_state=0,
    ).fit(X, y)
    assert sk.n_iter_ == model.n_iter_
    assert sk._optimizer.learning_rate == pytest.approx(rates[-1])


def test_adaptive_schedule_keeps_the_rate_while_the_loss_improves():
    X, y = _regression_data()
    model = MLPRegressor(
        hidden_layer_sizes=(16,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.001,
        max_iter=15,
        random_state=0,
        device="cpu",
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert np.all(np.diff(model.loss_curve_) < -1e-4)
    np.testing.assert_allclose(model.history_[:, "learning_rate"], 0.001)


# ------------------------------------------------------------------ penalties
@pytest.mark.parametrize("weighted", [False, True])
def test_penalty_gradients_follow_scikit_learn_scaling(weighted):
    """One SGD step: the weights get + (alpha w + alpha_l1 sign(w)) / n, the
    biases nothing, with n the batch's total sample weight."""
    sample_weight = np.linspace(0.5, 2.0, 8) if weighted else None
    module, batches, X, y = _linear_problem(sample_weight=sample_weight)
    W0, b0 = _params(module)
    lr, alpha, alpha_l1 = 0.1, 0.3, 0.2
    train(
        module,
        LOSSES["squared_error"],
        batches,
        _config(learning_rate_init=lr, alpha=alpha, alpha_l1=alpha_l1),
        max_epochs=1,
        warn_on_max_iter=False,
    )
    residual = X @ W0.T + b0 - y
    sw = np.ones(8) if sample_weight is None else sample_weight
    n = sw.sum()
    gW = (residual * sw[:, None]).T @ X / (n * residual.shape[1])
    gb = (residual * sw[:, None]).sum(axis=0) / (n * residual.shape[1])
    W, b = _params(module)
    np.testing.assert_allclose(
        W, W0 - lr * (gW + alpha * W0 / n + alpha_l1 * np.sign(W0) / n), rtol=1e-10
    )
    np.testing.assert_allclose(b, b0 - lr * gb, rtol=1e-10)


def test_l2_shrinks_the_weights():
    X, y = _regression_data(n_samples=80, n_features=8, noise=0.5)
    norms = []
    for alpha in (0.0, 10.0):
        model = MLPRegressor(
            hidden_layer_sizes=(32,),
            alpha=alpha,
            learning_rate_init=0.01,
            max_iter=200,
            random_state=0,
            device="cpu",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        norms.append(sum(np.sum(w**2) for w in model.coefs_))
    assert norms[1] < 0.5 * norms[0]


def test_huge_l2_zeroes_weights_but_not_biases():
    X, y = _regression_data(n_samples=100, n_features=4)
    y = y + 7.0
    # Adam with a decaying rate: large steps fit the bias, small ones settle.
    model = MLPRegressor(
        hidden_layer_sizes=(),
        alpha=1e5,
        batch_size=100,
        learning_rate="linear",
        learning_rate_init=0.1,
        learning_rate_final=1e-5,
        max_iter=500,
        tol=0,
        random_state=0,
        device="cpu",
        dtype="float64",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert np.max(np.abs(model.coefs_[0])) < 1e-2
    # The bias is not penalised: it still fits the mean of y.
    assert model.intercepts_[0][0] == pytest.approx(y.mean(), abs=0.05)


def test_l1_zeroes_the_weights_of_irrelevant_inputs():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 10)
    y = 3 * X[:, 0] - 2 * X[:, 1] + 0.3 * rng.randn(300)
    weights = {}
    for alpha_l1 in (0.0, 20.0):
        model = MLPRegressor(
            hidden_layer_sizes=(),
            alpha=0.0,
            alpha_l1=alpha_l1,
            solver="sgd",
            momentum=0.0,
            learning_rate_init=0.1,
            batch_size=300,
            max_iter=300,
            tol=0,
            random_state=0,
            device="cpu",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        weights[alpha_l1] = np.abs(model.coefs_[0].ravel())
    relevant, irrelevant = weights[20.0][:2], weights[20.0][2:]
    assert relevant.min() > 1.0
    assert irrelevant.max() < 0.05 * relevant.min()
    assert irrelevant.mean() < 0.2 * weights[0.0][2:].mean()


# -------------------------------------------------------------- early stopping
def _validation_rows(model, X, y, stratify):
    seed = seed_from_random_state(model.random_state)
    _, val_index = train_test_split(
        np.arange(len(X)),
        test_size=model.validation_fraction,
        random_state=seed % (2**32),
        stratify=y if stratify else None,
    )
    return X[val_index], y[val_index]


def test_early_stopping_restores_the_best_weights():
    # Tiny, noisy data and a big network: the validation score peaks, then the
    # network overfits and it falls.
    rng = np.random.RandomState(0)
    X = rng.randn(60, 5)
    y = X[:, 0] + rng.randn(60)
    model = MLPRegressor(
        hidden_layer_sizes=(128, 128),
        learning_rate_init=0.01,
        alpha=0.0,
        early_stopping=True,
        validation_fraction=0.3,
        n_iter_no_change=10,
        max_iter=500,
        random_state=0,
        device="cpu",
        dtype="float64",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)

    scores = np.asarray(model.validation_scores_)
    best = int(np.argmax(scores))
    assert model.best_validation_score_ == scores.max()
    assert len(scores) == model.n_iter_ == len(model.history_)
    np.testing.assert_allclose(model.history_[:, "valid_score"], scores)
    # The last epoch flagged "best" in the history is the best-scoring one.
    flags = np.asarray(model.history_[:, "best"])
    assert np.flatnonzero(flags)[-1] == best
    # It stopped on the stall, well before max_iter.
    assert best + 1 < model.n_iter_ <= best + 1 + model.n_iter_no_change + 1
    assert model.n_iter_ < model.max_iter
    # The model returned is the best epoch's, not the last epoch's.
    assert scores[-1] < scores.max() - 1e-3
    X_val, y_val = _validation_rows(model, X, y, stratify=False)
    restored = r2_score(y_val, model.predict(X_val))
    assert restored == pytest.approx(model.best_validation_score_, abs=1e-10)


def test_early_stopping_uses_the_scoring_parameter():
    X, y = _classification_data(n_samples=200)
    flip = np.random.RandomState(1).rand(200) < 0.2
    y = np.where(flip, 1 - y, y)
    common = dict(
        hidden_layer_sizes=(64,),
        learning_rate_init=0.01,
        early_stopping=True,
        validation_fraction=0.25,
        max_iter=100,
        random_state=0,
        device="cpu",
        dtype="float64",
    )
    model = MLPClassifier(scoring="neg_log_loss", **common).fit(X, y)
    scores = np.asarray(model.validation_scores_)
    assert np.all(scores < 0)  # log losses, not accuracies
    assert model.best_validation_score_ == scores.max()
    X_val, y_val = _validation_rows(model, X, y, stratify=True)
    restored = -log_loss(y_val, model.predict_proba(X_val))
    assert restored == pytest.approx(model.best_validation_score_, abs=1e-10)

    # A callable scorer is called on the validation rows after every epoch.
    calls = []

    def scorer(estimator, X_val, y_val, sample_weight=None):
        calls.append(len(X_val))
        return -float(np.mean((estimator.predict_proba(X_val)[:, 1] - y_val) ** 2))

    model = MLPClassifier(scoring=scorer, **common).fit(X, y)
    assert len(calls) == model.n_iter_
    assert set(calls) == {50}
    assert model.best_validation_score_ == max(model.validation_scores_)


# ----------------------------------------------------------------- convergence
def test_convergence_warning_when_max_iter_is_reached():
    X, y = _regression_data()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
        model = MLPRegressor(
            hidden_layer_sizes=(8,), max_iter=3, random_state=0, device="cpu"
        ).fit(X, y)
    assert model.n_iter_ == 3


@pytest.mark.parametrize("decay_epochs,warns", [(None, False), (3, False), (5, True)])
def test_a_completed_linear_schedule_is_no_convergence_failure(decay_epochs, warns):
    X, y = _regression_data()
    model = MLPRegressor(
        hidden_layer_sizes=(8,),
        learning_rate="linear",
        decay_epochs=decay_epochs,
        max_iter=3,
        random_state=0,
        device="cpu",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    converge = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert bool(converge) == warns
    assert model.n_iter_ == 3


def test_no_convergence_warning_when_converged():
    X, y = _regression_data()
    model = MLPRegressor(
        hidden_layer_sizes=(8,),
        tol=1e9,
        n_iter_no_change=4,
        max_iter=100,
        random_state=0,
        device="cpu",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    # The first epoch improves on +inf; n_iter_no_change + 1 more fail to.
    assert model.n_iter_ == 4 + 2
    sk = SkMLPRegressor(
        hidden_layer_sizes=(8,), tol=1e9, n_iter_no_change=4, max_iter=100
    ).fit(X, y)
    assert sk.n_iter_ == model.n_iter_


# ------------------------------------------------------------ reproducibility
def _mlp(**params):
    defaults = dict(
        hidden_layer_sizes=(16, 16),
        batch_size=16,
        shuffle=True,
        max_iter=5,
        device="cpu",
    )
    defaults.update(params)
    return MLPClassifier(**defaults)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_same_random_state_same_model(dropout):
    X, y = _classification_data()
    first = _mlp(random_state=3, dropout=dropout).fit(X, y)
    second = _mlp(random_state=3, dropout=dropout).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.loss_curve_ == second.loss_curve_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_different_seeds_give_different_models():
    X, y = _classification_data()
    a = _mlp(random_state=0).fit(X, y).coefs_[0]
    b = _mlp(random_state=1).fit(X, y).coefs_[0]
    c = _mlp(random_state=None).fit(X, y).coefs_[0]
    d = _mlp(random_state=None).fit(X, y).coefs_[0]
    assert not np.allclose(a, b)
    assert not np.allclose(c, d)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_leaves_torch_global_rng_alone():
    X, y = _classification_data()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    _mlp(random_state=0, dropout=0.5).fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_does_not_depend_on_torch_global_rng():
    X, y = _classification_data()
    probas = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        model = _mlp(random_state=0, dropout=0.5).fit(X, y)
        probas.append(model.predict_proba(X))
    np.testing.assert_array_equal(probas[0], probas[1])


# ---------------------------------------------------------- history, gradients
def test_history_matches_fitted_attributes():
    X, y = _classification_data()
    model = MLPClassifier(
        (16, 8), max_iter=300, tol=1e-3, random_state=0, device="cpu"
    ).fit(X, y)
    n = model.n_iter_
    assert 1 <= n < 300
    assert len(model.history_) == n == len(model.loss_curve_)
    assert list(model.history_[:, "epoch"]) == list(range(1, n + 1))
    np.testing.assert_array_equal(model.history_[:, "train_loss"], model.loss_curve_)
    assert model.loss_ == model.loss_curve_[-1]
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.n_layers_ == 4
    assert model.gradient_norms_.shape == (n, model.n_layers_ - 1)
    assert np.all(np.isfinite(model.gradient_norms_))
    assert np.all(model.gradient_norms_ > 0)
    assert np.all(np.asarray(model.history_[:, "dur"]) >= 0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_gradient_norms_show_vanishing_gradients():
    X, y = _classification_data(n_samples=300, n_features=10)
    ratios = {}
    for activation, init in [("logistic", "glorot_uniform"), ("relu", "he_normal")]:
        model = MLPClassifier(
            (32,) * 6,
            activation=activation,
            weight_init=init,
            max_iter=3,
            random_state=0,
            device="cpu",
        ).fit(X, y)
        first_epoch = model.gradient_norms_[0]
        assert first_epoch.shape == (7,)
        ratios[activation] = first_epoch[0] / first_epoch[-1]
        if activation == "logistic":
            # Sigmoid derivatives (<= 1/4) shrink the gradient layer after layer.
            assert np.all(np.diff(first_epoch) > 0)
    assert ratios["logistic"] < 0.01
    assert ratios["relu"] > 0.1
    assert ratios["relu"] > 50 * ratios["logistic"]


# ----------------------------------------------------------- initialisation
@pytest.mark.parametrize(
    "scheme, bound, std",
    [
        ("glorot_uniform", math.sqrt(6 / 300), math.sqrt(6 / 300) / math.sqrt(3)),
        ("glorot_normal", None, math.sqrt(2 / 300)),
        ("he_uniform", math.sqrt(6 / 200), math.sqrt(6 / 200) / math.sqrt(3)),
        ("he_normal", None, math.sqrt(2 / 200)),
    ],
)
def test_dense_weight_inits(scheme, bound, std):
    layer = torch.nn.Linear(200, 100)  # n_in = 200, n_out = 100
    initialize_linear(layer, scheme, torch.Generator().manual_seed(0))
    w = layer.weight.detach().numpy()
    assert np.all(layer.bias.detach().numpy() == 0)
    assert abs(w.mean()) < 0.05 * std
    assert w.std() == pytest.approx(std, rel=0.03)
    if bound is not None:
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.99 * bound
    # Seeded: the same generator seed gives the same weights.
    again = torch.nn.Linear(200, 100)
    initialize_linear(again, scheme, torch.Generator().manual_seed(0))
    assert torch.equal(again.weight, layer.weight)


@pytest.mark.parametrize("density, n_nonzero", [(0.1, 20), (0.25, 50), (0.001, 1)])
def test_sparse_init(density, n_nonzero):
    layer = torch.nn.Linear(200, 300)
    initialize_linear(
        layer, "sparse", torch.Generator().manual_seed(0), sparse_density=density
    )
    w = layer.weight.detach().numpy()
    assert np.all((w != 0).sum(axis=1) == n_nonzero)  # per unit (row)
    assert np.all(layer.bias.detach().numpy() == 0)
    # The non-zero weights are N(0, 1 / k): each unit's input keeps unit scale.
    assert w[w != 0].std() == pytest.approx(1 / math.sqrt(n_nonzero), rel=0.1)
    # Different units pick different inputs, uniformly over the inputs.
    supports = {tuple(np.flatnonzero(row)) for row in w}
    assert len(supports) > min(250, 0.5 * math.comb(200, n_nonzero))
    per_input = (w != 0).sum(axis=0)
    assert per_input.max() < 5 * per_input.mean()


@pytest.mark.parametrize(
    "scheme", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "sparse"]
)
def test_estimator_uses_weight_init(scheme):
    X, y = _regression_data(n_samples=50, n_features=40)
    model = MLPRegressor(
        hidden_layer_sizes=(100,),
        weight_init=scheme,
        sparse_init_density=0.2,
        learning_rate_init=1e-12,  # one Adam step moves a weight by about 1e-12
        max_iter=1,
        random_state=0,
        device="cpu",
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    w = model.coefs_[0]  # (n_in=40, n_out=100)
    n_in, n_out = w.shape
    if scheme == "sparse":
        assert np.all((np.abs(w) > 1e-6).sum(axis=0) == round(0.2 * n_in))
    elif scheme.endswith("uniform"):
        fan = n_in + n_out if scheme.startswith("glorot") else n_in
        bound = math.sqrt(6 / fan)
        assert np.abs(w).max() <= bound + 1e-6
        assert np.abs(w).max() > 0.98 * bound
    else:
        fan = n_in + n_out if scheme.startswith("glorot") else n_in
        assert w.std() == pytest.approx(math.sqrt(2 / fan), rel=0.08)
    np.testing.assert_allclose(model.intercepts_[0], 0, atol=1e-9)


# ------------------------------------------------------------------- Ctrl-C
class _InterruptAt:
    """A loss that raises KeyboardInterrupt on its ``at``-th call."""

    def __init__(self, loss_fn, at):
        self.loss_fn, self.at, self.calls = loss_fn, at, 0

    def __call__(self, output, target, sample_weight=None):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return self.loss_fn(output, target, sample_weight)


def test_keyboard_interrupt_stops_training_cleanly():
    module, batches, _, _ = _linear_problem()
    loss_fn = _InterruptAt(LOSSES["squared_error"], at=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state = train(module, loss_fn, batches, _config(max_iter=10))
    categories = [w.category for w in caught]
    assert UserWarning in categories
    assert any("interrupted" in str(w.message) for w in caught)
    assert ConvergenceWarning not in categories
    assert state.interrupted
    assert not state.converged
    assert state.n_iter == 2 == len(state.loss_curve) == len(state.history)
    assert not module.training
    assert np.all(np.isfinite(_params(module)[0]))


def test_keyboard_interrupt_restores_the_best_weights():
    module, batches, _, _ = _linear_problem()
    snapshots = []
    scores = iter([0.1, 0.9, 0.5])

    def validation_score(module):
        snapshots.append({k: v.clone() for k, v in module.state_dict().items()})
        return next(scores)

    loss_fn = _InterruptAt(LOSSES["squared_error"], at=4)
    with pytest.warns(UserWarning, match="interrupted"):
        state = train(
            module,
            loss_fn,
            batches,
            _config(max_iter=10, early_stopping=True),
            validation_score=validation_score,
        )
    assert state.interrupted
    assert state.n_iter == 3
    assert state.best_validation_score == 0.9
    assert state.best_epoch == 2
    # The weights after epoch 2, not those after epoch 3 (nor mid-epoch 4).
    for name, value in module.state_dict().items():
        assert torch.equal(value, snapshots[1][name])
    assert not torch.equal(module.weight, snapshots[2]["weight"])


def test_keyboard_interrupt_through_the_estimator(monkeypatch):
    loss_fn = _InterruptAt(LOSSES["squared_error"], at=3)
    monkeypatch.setitem(LOSSES, "squared_error", loss_fn)
    X, y = _regression_data()
    model = MLPRegressor(
        hidden_layer_sizes=(8,), batch_size=100, max_iter=50, random_state=0
    )
    model.set_params(device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    assert any("interrupted" in str(w.message) for w in caught)
    assert not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert model.n_iter_ == 2
    assert model._training_state.interrupted
    assert np.all(np.isfinite(model.predict(X)))


# ------------------------------------------------------- batch norm, dropout
def test_batch_norm_trains_and_predicts():
    X, y = _classification_data(n_samples=200)
    model = MLPClassifier(
        (32, 32), batch_norm=True, batch_size=50, max_iter=30, random_state=0
    )
    model.set_params(device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    proba = model.predict_proba(X)
    assert np.all(np.isfinite(proba))
    assert model.score(X, y) > 0.9
    # Prediction uses the running statistics: one row alone gets the same answer.
    np.testing.assert_allclose(model.predict_proba(X[:1]), proba[:1], rtol=1e-5)
    assert any(
        isinstance(layer, torch.nn.BatchNorm1d) for layer in model.module_.modules()
    )


def test_batch_norm_with_a_last_batch_of_one_row():
    # 201 rows in batches of 200 leave a last batch of one row, on which batch
    # statistics are undefined; fitting must still work.
    X, y = _regression_data(n_samples=201)
    model = MLPRegressor(
        hidden_layer_sizes=(16,), batch_norm=True, max_iter=5, random_state=0
    )
    model.set_params(device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert np.all(np.isfinite(model.predict(X)))


def test_dropout_is_random_in_training_and_off_at_prediction():
    X, y = _classification_data(n_samples=200)
    model = MLPClassifier(
        (64,), dropout=0.5, learning_rate_init=0.01, max_iter=60, random_state=0
    )
    model.set_params(device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    first, second = model.predict_proba(X), model.predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert model.score(X, y) > 0.85
    assert not model.module_.training
    # The dropout layers are really there and active in training mode.
    inputs = torch.as_tensor(X, dtype=torch.float32)
    model.module_.train()
    try:
        with torch.no_grad():
            assert not torch.equal(model.module_(inputs), model.module_(inputs))
    finally:
        model.module_.eval()


@pytest.mark.parametrize("continued", [False, True])
def test_direct_fused_adam_step_equals_optimizer_step(continued):
    """The engine's shortcut to the fused Adam kernel is bit-identical to torch."""
    from sklearn_deep._training._optimizers import fast_step

    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3)
    )
    shortcut = copy.deepcopy(reference)
    config = TrainingConfig(solver="adam", learning_rate_init=0.01)
    optimizers = [make_optimizer(m, config) for m in (reference, shortcut)]
    if not _direct_adam_possible(optimizers[1]):
        pytest.skip("this torch has no fused Adam kernel on the CPU")
    X, y = torch.randn(40, 5), torch.randn(40, 3)
    steps = [optimizers[0].step, fast_step(optimizers[1])]
    for i in range(6):
        if continued and i == 3:
            # A new epoch builds a new shortcut over the existing state.
            steps[1] = fast_step(optimizers[1])
        for module, step in zip((reference, shortcut), steps, strict=True):
            module.zero_grad()
            torch.nn.functional.mse_loss(module(X), y).backward()
            step()
    for a, b in zip(reference.parameters(), shortcut.parameters(), strict=True):
        assert torch.equal(a, b)
    assert optimizers[1].state_dict()["state"][0]["step"] == 6


# ----------------------------------------------------------------- threads
def _torch_threads_scorer(estimator, X, y, sample_weight=None):
    """A "validation score" that reports the threads torch trains with."""
    return torch.get_num_threads()


def _thread_reporting_classifier(n_threads=None):
    return MLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=3,
        early_stopping=True,
        scoring=_torch_threads_scorer,
        random_state=0,
        device="cpu",
        n_threads=n_threads,
    )


def _blobs_for_threads():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_threads, expected", [(None, 3), (2, 2), (1, 1), (5, 3)])
def test_n_threads_caps_torch_threads_while_fitting_and_restores_them(
    n_threads, expected
):
    # torch set to 3 threads, which neither joblib nor this machine's core
    # count would give: only the estimator's own thread budget can make the fit
    # train with 2 or 1, and it never raises the caller's 3.
    X, y = _blobs_for_threads()
    threads_before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        estimator = _thread_reporting_classifier(n_threads).fit(X, y)
        assert set(estimator.validation_scores_) == {expected}
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(threads_before)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_parallel_workers_train_with_the_threads_joblib_grants():
    # Two loky workers on this machine may use cpu_count // 2 threads each
    # between them; more would oversubscribe the cores. Asking for every core
    # with n_threads must not lift that limit.
    import joblib
    from sklearn.model_selection import cross_validate

    X, y = _blobs_for_threads()
    threads_before = torch.get_num_threads()
    n_cores = joblib.cpu_count()
    result = cross_validate(
        _thread_reporting_classifier(n_threads=n_cores + 1),
        X,
        y,
        cv=2,
        n_jobs=2,
        return_estimator=True,
    )
    granted = max(1, n_cores // 2)
    for estimator in result["estimator"]:
        assert set(estimator.validation_scores_) == {granted}
    assert torch.get_num_threads() == threads_before


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_training_honours_threadpoolctl_thread_limits_and_restores_them():
    from threadpoolctl import threadpool_limits

    X, y = _blobs_for_threads()
    threads_before = torch.get_num_threads()
    with threadpool_limits(limits=1):
        # n_threads=2 must not lift the limit in force.
        estimator = _thread_reporting_classifier(n_threads=2).fit(X, y)
    assert set(estimator.validation_scores_) == {1}
    assert torch.get_num_threads() == threads_before


# ------------------------------------------------------------ weight averaging
class _EpochEndWeights(Hook):
    """Stands in for ``EpochCallbacks``: records the weights after each epoch."""

    def __init__(self):
        self.weights = []

    def on_epoch_end(self, run):
        self.weights.append(_params(run.module))


@pytest.mark.parametrize("window", [1, 3])
def test_weight_averaging_keeps_the_mean_of_the_last_epochs(window):
    loss_fn = LOSSES["squared_error"]
    plain_module, batches, _, _ = _linear_problem()
    averaged_module = copy.deepcopy(plain_module)
    plain, averaged = _EpochEndWeights(), _EpochEndWeights()
    config = dict(solver="adam", learning_rate_init=0.05, max_iter=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        train(plain_module, loss_fn, batches, _config(**config), callbacks=plain)
        train(
            averaged_module,
            loss_fn,
            batches,
            _config(**config, weight_averaging=window),
            callbacks=averaged,
        )
    # Training goes on from each epoch's own weights, so the trajectory is the
    # plain run's, and what follows each epoch is the mean of the last epochs.
    for epoch in range(6):
        last = plain.weights[max(0, epoch + 1 - window) : epoch + 1]
        for k in range(2):
            expected = np.mean([weights[k] for weights in last], axis=0)
            np.testing.assert_allclose(averaged.weights[epoch][k], expected)
    final = _params(averaged_module)
    for k in range(2):
        np.testing.assert_allclose(final[k], averaged.weights[-1][k])
    if window > 1:
        assert not np.allclose(final[0], _params(plain_module)[0])


def test_weight_averaging_averages_what_early_stopping_scores():
    module, batches, _, _ = _linear_problem()
    seen = []

    def validation_score(module):
        seen.append(_params(module)[0])
        return -float(len(seen))  # the first epoch is the best

    recorder = _EpochEndWeights()
    train(
        module,
        LOSSES["squared_error"],
        batches,
        _config(max_iter=4, early_stopping=True, weight_averaging=2),
        validation_score=validation_score,
        callbacks=recorder,
        warn_on_max_iter=False,
    )
    for epoch in range(4):
        np.testing.assert_allclose(seen[epoch], recorder.weights[epoch][0])
    # Early stopping restored the best-scoring (averaged) weights.
    np.testing.assert_allclose(_params(module)[0], seen[0])


@pytest.mark.parametrize(
    "setting,max_epochs,window",
    [
        (3, 10, 3),
        (1, 10, 1),
        (0.2, 30, 6),
        (0.2, 5, 1),
        (0.25, 10, 3),
        (1.0, 4, 4),
        (0.07, 100, 7),
    ],
)
def test_weight_averaging_window_in_epochs_or_as_a_fraction(
    setting, max_epochs, window
):
    from sklearn_deep._training._averaging import WeightAveraging

    assert WeightAveraging.from_config(setting, max_epochs).window.maxlen == window
    assert WeightAveraging.from_config(None, max_epochs) is None


# ----------------------------------------------------- the step contract
class _AlternatingStep:
    """A step with two networks and two optimisers updated in turn.

    It exercises what the engine's step contract must admit for the coming
    families: ``n_critic`` updates of one optimiser per update of the other
    (as a GAN's discriminator and generator), a per-step learning rate (linear
    warm-up), gradient accumulation over two batches, gradient clipping and
    mixed precision (bf16 autocast, which the CPU supports).
    """

    def __init__(self, modules, n_critic=2, warmup_steps=4, accumulate=2):
        self.modules = modules
        self.n_critic = n_critic
        self.warmup_steps = warmup_steps
        self.accumulate = accumulate
        self.steps_done = 0
        self.learning_rates = []

    def begin(self, run):
        self.optimizers = {
            name: torch.optim.Adam(module.parameters(), lr=0.05)
            for name, module in self.modules.items()
        }
        if run.state.optimizer_state is not None:
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(run.state.optimizer_state[name])

    def _loss(self, inputs, target):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            hidden = self.modules["first"](inputs)
            output = self.modules["second"](hidden)
        return (output.float() - target).square().mean()

    def epoch(self, run):
        losses = []
        batches = list(run.batches.epoch(run.generator))
        for i in range(0, len(batches), self.accumulate):
            group = batches[i : i + self.accumulate]
            name = "first" if self.steps_done % (self.n_critic + 1) else "second"
            optimizer = self.optimizers[name]
            warmup = min(1.0, (self.steps_done + 1) / self.warmup_steps)
            for param_group in optimizer.param_groups:
                param_group["lr"] = run.learning_rate * warmup
            self.learning_rates.append(run.learning_rate * warmup)
            optimizer.zero_grad(set_to_none=True)
            for inputs, target, _ in group:
                loss = self._loss(inputs, target) / len(group)
                loss.backward()
                losses.append(float(loss.detach()) * len(group))
            torch.nn.utils.clip_grad_norm_(self.modules[name].parameters(), 1.0)
            optimizer.step()
            self.steps_done += 1
        return float(np.mean(losses)), [0.0]

    def finished(self, run):
        return False

    def state_dict(self):
        return {name: opt.state_dict() for name, opt in self.optimizers.items()}


def _two_network_problem():
    rng = np.random.RandomState(0)
    X = rng.randn(64, 3).astype(np.float32)
    y = X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    torch.manual_seed(0)
    modules = torch.nn.ModuleDict(
        {"first": torch.nn.Linear(3, 4), "second": torch.nn.Linear(4, 1)}
    )
    batches = Batches(torch.as_tensor(X), torch.as_tensor(y), None, 16, shuffle=True)
    return modules, batches


def test_engine_trains_a_two_optimiser_step_with_its_hooks():
    from sklearn_deep._training._engine import train as engine_train

    modules, batches = _two_network_problem()
    step = _AlternatingStep(modules)
    config = _config(
        solver="adam", learning_rate_init=0.05, max_iter=40, weight_averaging=2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        state = engine_train(modules, None, batches, config, step=step)
    # Both optimisers stepped, in the n_critic rhythm, after a warm-up.
    assert state.n_iter == 40
    assert set(state.optimizer_state) == {"first", "second"}
    assert step.learning_rates[0] == pytest.approx(0.05 / 4)
    assert step.learning_rates[5] == pytest.approx(0.05)
    # It learns: the loss falls by orders of magnitude.
    assert state.loss_curve[-1] < state.loss_curve[0] / 20
    # The engine's hooks act on the step's networks: the history has a row
    # per epoch, and training ends with the networks in evaluation mode.
    assert len(state.history) == 40
    assert modules.training is False


def test_two_optimiser_step_repeats_exactly():
    results = []
    for _ in range(2):
        modules, batches = _two_network_problem()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            train(
                modules,
                None,
                batches,
                _config(solver="adam", learning_rate_init=0.05, max_iter=5, seed=3),
                step=_AlternatingStep(modules),
            )
        results.append([p.detach().clone() for p in modules.parameters()])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


class _FailingTeardown(Hook):
    def on_train_end(self, run, error):
        raise RuntimeError("teardown failed")


def test_a_failing_hook_does_not_keep_the_others_from_giving_state_back():
    from sklearn_deep._training._process_state import ThreadBudget
    from sklearn_deep._training._steps import make_step

    module, batches, _, _ = _linear_problem()
    config = _config(max_iter=2)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    hooks = [ThreadBudget(1), _FailingTeardown()]
    step = make_step(module, LOSSES["squared_error"], config)
    with pytest.raises(RuntimeError, match="teardown failed"):
        run_training(step, module, batches, config, hooks=hooks)
    assert torch.get_num_threads() == threads
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["MLPClassifier", "GCNClassifier", "LSTMTagger"])
def test_prediction_keeps_to_n_threads_and_restores_them(name, monkeypatch):
    import scipy.sparse as sp

    import sklearn_deep

    X = np.random.RandomState(0).randn(30, 3)
    if name == "MLPClassifier":
        estimator, data, query = MLPClassifier((4,), n_threads=1), (X, X[:, 0] > 0), X
        spied = "forward"
    elif name == "GCNClassifier":
        graph = sp.random(20, 20, density=0.3, random_state=0)
        estimator = sklearn_deep.GCNClassifier(graph + graph.T, n_threads=1)
        data, query, spied = (
            (np.arange(10), np.arange(10) % 2),
            np.arange(20),
            "propagate",
        )
    else:
        sentences = [["a", "b"], ["c", "a", "b"]] * 3
        tags = [["X", "Y"], ["Y", "X", "Y"]] * 3
        estimator = sklearn_deep.LSTMTagger(embedding_dim=4, hidden_size=4, n_threads=1)
        data, query, spied = (sentences, tags), sentences, "forward"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.set_params(max_iter=1, random_state=0).fit(*data)
    network = type(estimator.module_)
    real = getattr(network, spied)
    seen = []

    def spy(module, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(module, *args, **kwargs)

    monkeypatch.setattr(network, spied, spy)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        estimator.predict(query)
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
