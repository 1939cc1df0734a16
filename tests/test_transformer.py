"""Behavioural tests of TransformerTagger, its attention and the warm-up.

The tasks are tiny so that the file runs in seconds; accuracy on real corpora
is the benchmark's business (benchmarks/bench_tagger.py).
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.model_selection import cross_val_score
from test_tagger import _context_task, _one_thread  # noqa: F401 (autouse fixture)

from sklearn_deep import TransformerTagger, load, save
from sklearn_deep._training import TrainingConfig
from sklearn_deep._training._schedules import warmup_factors
from sklearn_deep._training._state import TrainingState
from sklearn_deep.nn import (
    RelativePositionBias,
    TransformerTaggerNetwork,
    build_uninitialized,
)
from sklearn_deep.nn._attention import MultiHeadSelfAttention, alibi_slopes
from sklearn_deep.nn._transformer import neighbourhood_convolution
from sklearn_deep.utils.estimator_checks import common_checks

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _small(**params):
    defaults = dict(
        embedding_dim=8,
        d_model=16,
        n_layers=1,
        n_heads=2,
        dim_feedforward=16,
        char_features=None,
        dropout=0.0,
        residual_dropout=0.0,
        attention_dropout=0.0,
        word_dropout=0.0,
        batch_size=8,
        learning_rate_init=0.01,
        max_iter=15,
        weight_averaging=None,
        random_state=0,
        device="cpu",
    )
    return TransformerTagger(**{**defaults, **params})


@pytest.mark.parametrize(
    "params",
    [
        dict(positional="relative", crf=True, max_iter=20),
        dict(positional="sinusoidal", crf=False, max_iter=30, warmup=0.0),
    ],
    ids=["relative-crf", "sinusoidal-softmax"],
)
def test_learns_a_tag_that_depends_on_the_previous_word(params):
    X, y = _context_task(80)
    X_test, y_test = _context_task(40, seed=1)
    tagger = _small(**params).fit(X, y)
    # A model blind to word order tags x right about half the time (0.91).
    assert tagger.score(X_test, y_test) > 0.97


def test_a_sentence_alone_and_in_a_batch_of_longer_ones_gets_the_same_output():
    X, y = _context_task(40)
    for params in (
        dict(char_features="cnn", positional="relative"),
        dict(crf=False, positional="learned", norm_first=False),
        dict(positional="sinusoidal", feedforward_kernel_size=1),
        dict(
            positional="relative",
            feedforward_kernel_size=5,
            n_layers=2,
            activation="relu",
        ),
    ):
        tagger = _small(max_iter=2, **params).fit(X, y)
        sentence = ["a", "x", "b"]
        alone = tagger.predict_proba([sentence])[0]
        batch = [["b"] * 30, sentence, ["a", "x"] * 9]
        together = tagger.predict_proba(batch)[1]
        np.testing.assert_allclose(alone, together, rtol=1e-5, atol=1e-6)
        # The network itself: the same emissions with or without padding.
        network = tagger.module_
        padded = tagger._encoded(batch)
        single = tagger._encoded([sentence])
        with torch.no_grad():
            out_padded = network(tuple(p[1:2] for p in padded))[0, :3]
            out_single = network(single)[0, :3]
        torch.testing.assert_close(out_padded, out_single, rtol=1e-5, atol=1e-5)


def test_attention_weights_sum_to_one_over_real_tokens_and_zero_on_padding():
    X, y = _context_task(30)
    tagger = _small(n_layers=2, max_iter=2).fit(X, y)
    weights = tagger.attention_weights(["a", "x", "b", "x"])
    assert weights.shape == (2, 2, 4, 4)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-6)
    # In a padded batch, the padding columns get exactly zero weight.
    encoded = tagger._encoded([["a", "x"], ["b", "x", "a", "x", "b"]])
    with torch.no_grad():
        layers = tagger.module_.eval().attention_weights(encoded)
    for layer in layers:
        assert torch.all(layer[0, :, :, 2:] == 0)
        torch.testing.assert_close(layer[0, :, :2, :2].sum(-1), torch.ones(2, 2))
        torch.testing.assert_close(layer[1].sum(-1), torch.ones(2, 5))


def test_attention_weights_refuse_an_empty_sentence():
    X, y = _context_task(20)
    tagger = _small(max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="empty"):
        tagger.attention_weights([])


def test_fits_are_deterministic_with_random_state_and_differ_without():
    X, y = _context_task(30)
    params = dict(
        max_iter=3,
        dropout=0.2,
        residual_dropout=0.1,
        attention_dropout=0.1,
        word_dropout=0.2,
    )
    a = _small(**params).fit(X, y)
    b = _small(**params).fit(X, y)
    c = _small(**params, random_state=1).fit(X, y)
    for name, tensor in a.module_.state_dict().items():
        torch.testing.assert_close(tensor, b.module_.state_dict()[name], rtol=0, atol=0)
    assert a.loss_curve_ == b.loss_curve_
    assert a.loss_curve_ != c.loss_curve_


def test_save_load_and_pickle_predict_the_same(tmp_path):
    X, y = _context_task(30)
    X = [[(w, "P" + w) for w in sentence] for sentence in X]
    tagger = _small(max_iter=2, char_features="cnn", crf=True).fit(X, y)
    save(tagger, tmp_path / "transformer.safetensors")
    for restored in (
        load(tmp_path / "transformer.safetensors"),
        pickle.loads(pickle.dumps(tagger)),
    ):
        assert isinstance(restored, TransformerTagger)
        assert restored.predict(X) == tagger.predict(X)
        for a, b in zip(
            restored.predict_proba(X), tagger.predict_proba(X), strict=True
        ):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(
            restored.attention_weights(X[0]), tagger.attention_weights(X[0])
        )


def test_load_refuses_heads_that_do_not_divide_d_model(tmp_path):
    X, y = _context_task(20)
    tagger = _small(max_iter=1).fit(X, y)
    tagger.n_heads = 3
    with pytest.raises(ValueError, match="multiple of n_heads"):
        tagger._check_fitted_state(n_weights=100, n_bytes=10**6)


def test_bad_head_count_is_a_clear_error_and_leaves_nothing_fitted():
    X, y = _context_task(20)
    tagger = _small(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="d_model=10 must be a multiple of n_heads=4"):
        tagger.fit(X, y)
    assert not hasattr(tagger, "module_")


def test_even_feedforward_kernel_is_a_clear_error_and_leaves_nothing_fitted():
    X, y = _context_task(20)
    tagger = _small(feedforward_kernel_size=2)
    with pytest.raises(ValueError, match="feedforward_kernel_size=2 must be odd"):
        tagger.fit(X, y)
    assert not hasattr(tagger, "module_")


def test_the_feedforward_convolution_sees_exactly_its_neighbours():
    # Without attention (one head looking at nothing but itself is hard to
    # arrange), take the feed-forward branch alone: with kernel 3, changing
    # token 0 changes the outputs of tokens 0 and 1 only; with kernel 1,
    # token 0's alone.
    for kernel, changed in ((3, [0, 1]), (1, [0])):
        layer = (
            TransformerTaggerNetwork(
                10,
                3,
                d_model=8,
                n_heads=2,
                dim_feedforward=8,
                feedforward_kernel_size=kernel,
            )
            .encoder.layers[0]
            .eval()
        )
        x = torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(0))
        mask = torch.ones(1, 5, dtype=torch.bool)
        y = x.clone()
        y[0, 0] += 1.0
        with torch.no_grad():
            diff = (layer._feedforward(x, mask) - layer._feedforward(y, mask)).abs()
        assert torch.nonzero(diff.sum(-1)[0]).flatten().tolist() == changed


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_the_neighbourhood_product_is_the_convolution(kernel):
    conv = torch.nn.Conv1d(6, 4, kernel, padding=kernel // 2)
    x = torch.randn(3, 7, 6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = conv(x.transpose(1, 2)).transpose(1, 2)
        np.testing.assert_allclose(
            neighbourhood_convolution(x, conv), expected, rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_padding_gets_no_attention_in_half_precision_either(dtype):
    # Under autocast the scores are half precision, where adding anything to
    # float32's most negative number would overflow to -inf: the padding's
    # score stays finite, gets weight 0, and a row of padding alone stays
    # finite too.
    attention = MultiHeadSelfAttention(8, 2, relative_positions=4)
    attention.reset_parameters(torch.Generator().manual_seed(0))
    x = torch.randn(3, 5, 8, generator=torch.Generator().manual_seed(1)).to(dtype)
    attention = attention.to(dtype).eval()
    mask = torch.tensor([[True] * 5, [True, True, False, False, False], [False] * 5])
    with torch.no_grad():
        output, weights = attention(x, mask, need_weights=True)
    assert torch.isfinite(output).all() and torch.isfinite(weights).all()
    assert (weights[1, :, :, 2:] == 0).all()
    torch.testing.assert_close(
        weights.float().sum(-1), torch.ones(3, 2, 5), rtol=0.01, atol=0.01
    )


def test_common_checks():
    X, y = _context_task(24)
    bad_inputs = [
        ("X and y of different lengths", X, y[:-1], ValueError),
        ("sentence and tags of different lengths", [["a", "x"]], [["O"]], ValueError),
        ("non-string token", [["a", 3]], [["O", "B"]], TypeError),
        ("X a string", "a x", [["O"]], TypeError),
        ("bad parameter", {"n_layers": 0}, ValueError),
        ("bad positional", {"positional": "rotary"}, ValueError),
        ("bad feed-forward kernel", {"feedforward_kernel_size": 0}, ValueError),
        ("bad activation", {"activation": "tanh"}, ValueError),
    ]
    checks = common_checks(
        lambda: _small(max_iter=1),
        X,
        y,
        bad_inputs=bad_inputs,
        param_grid={"d_model": [8, 16]},
    )
    for check in checks:
        check()


def test_cross_val_score_runs_on_sentences():
    X, y = _context_task(30)
    scores = cross_val_score(_small(max_iter=2), X, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


# --------------------------------------------------------------- the network
def test_relative_bias_starts_as_alibi_and_learns_ten_times_faster():
    bias = RelativePositionBias(4, max_distance=3)
    bias.reset_parameters()
    table = bias(6)
    slopes = torch.tensor(alibi_slopes(4))
    assert alibi_slopes(4) == pytest.approx([2**-2, 2**-4, 2**-6, 2**-8])
    i, j = 0, 5  # clipped at 3
    torch.testing.assert_close(table[:, i, j], -slopes * 3)
    torch.testing.assert_close(table[:, 2, 1], -slopes * 1)
    # The stored table is the bias divided by 10: a gradient step on it moves
    # the bias 10 times as far.
    table.sum().backward()
    assert torch.all(bias.weight.grad.sum(dim=1) == 10 * 36)
    assert len(alibi_slopes(6)) == 6


def test_the_network_is_initialised_from_the_generator_alone():
    def build(seed):
        # As the estimator builds it: no initialisation by the constructor.
        network = build_uninitialized(
            TransformerTaggerNetwork,
            20,
            3,
            n_chars=10,
            char_features="cnn",
            positional="learned",
        )
        network.reset_parameters(torch.Generator().manual_seed(seed))
        return network.state_dict()

    torch.manual_seed(123)
    state = torch.get_rng_state()
    first, second, other = build(0), build(0), build(1)
    assert torch.equal(state, torch.get_rng_state())
    for name in first:
        assert torch.equal(first[name], second[name]), name
    assert not torch.equal(
        first["encoder.projection.weight"], other["encoder.projection.weight"]
    )


# ---------------------------------------------------------------- the warm-up
def test_warmup_factors_grow_linearly_to_one_then_stop():
    config = TrainingConfig(warmup=2.0)
    state = TrainingState(learning_rate=1.0)
    assert warmup_factors(config, state, 4) == pytest.approx([0.125, 0.25, 0.375, 0.5])
    state.n_iter = 1
    assert warmup_factors(config, state, 4)[-1] == pytest.approx(1.0)
    state.n_iter = 2
    assert warmup_factors(config, state, 4) is None
    assert warmup_factors(TrainingConfig(), TrainingState(learning_rate=1.0), 4) is None
    half = warmup_factors(
        TrainingConfig(warmup=0.5), TrainingState(learning_rate=1.0), 4
    )
    assert half == pytest.approx([0.5, 1.0, 1.0, 1.0])


def test_warmup_scales_the_first_epochs_steps_and_then_leaves_the_schedule():
    X, y = _context_task(40)
    seen = []

    tagger = _small(max_iter=2, warmup=1.0, learning_rate="constant", batch_size=10)
    original = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    torch.optim.Adam.step = spy
    try:
        import sklearn_deep._training._steps as steps

        fast_step = steps.fast_step
        steps.fast_step = lambda optimizer: optimizer.step
        try:
            tagger.fit(X, y)
        finally:
            steps.fast_step = fast_step
    finally:
        torch.optim.Adam.step = original
    assert seen[:4] == pytest.approx([0.0025, 0.005, 0.0075, 0.01])
    assert seen[4:] == pytest.approx([0.01] * 4)
    # The history records the schedule's rate of each epoch.
    assert list(tagger.history_[:, "learning_rate"]) == [0.01, 0.01]


def test_no_warmup_trains_exactly_as_before():
    X, y = _context_task(30)
    a = _small(max_iter=2, warmup=0.0).fit(X, y)
    b = _small(max_iter=2, warmup=0.0).fit(X, y)
    c = _small(max_iter=2, warmup=1.0).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    assert a.loss_curve_ != c.loss_curve_
