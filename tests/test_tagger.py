"""Behavioural tests of LSTMTagger, its CRF layer and the engine pieces it uses.

The tasks are tiny so that the whole file runs in seconds; accuracy on real
corpora is the benchmark's business (benchmarks/bench_tagger.py).
"""

import copy
import itertools
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from sklearn_deep import LSTMTagger
from sklearn_deep._training import Batches, TrainingConfig, train
from sklearn_deep.metrics import chunk_f1_score, token_accuracy_score
from sklearn_deep.nn._tagger import LinearChainCRF, SequenceTagger
from sklearn_deep.utils.estimator_checks import common_checks

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny networks gain nothing from a second thread, and on a busy 2-core
    # machine a second thread slows every step down many times over.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


WORD_TAGS = {"the": "DET", "a": "DET", "dog": "NOUN", "cat": "NOUN", "runs": "VERB"}


def _word_task(n_sentences=60, seed=0):
    """Tags determined by the word alone."""
    rng = np.random.RandomState(seed)
    words = list(WORD_TAGS)
    X = [list(rng.choice(words, size=rng.randint(1, 7))) for _ in range(n_sentences)]
    X = [[str(w) for w in sentence] for sentence in X]
    y = [[WORD_TAGS[w] for w in sentence] for sentence in X]
    return X, y


def _context_task(n_sentences=100, seed=0):
    """The tag of ``x`` is ``A`` after ``a`` and ``B`` otherwise: a per-token
    model sees the same word with both tags and cannot do better than chance."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n_sentences):
        sentence = [str(w) for w in rng.choice(["a", "b", "x"], size=rng.randint(2, 9))]
        tags = [
            ("A" if i > 0 and sentence[i - 1] == "a" else "B") if w == "x" else "O"
            for i, w in enumerate(sentence)
        ]
        X.append(sentence)
        y.append(tags)
    return X, y


def _small(**params):
    defaults = dict(
        embedding_dim=8,
        hidden_size=8,
        char_features=None,
        dropout=0.0,
        word_dropout=0.0,
        batch_size=8,
        learning_rate="constant",
        learning_rate_init=0.02,
        max_iter=25,
        early_stopping=False,
        random_state=0,
        device="cpu",
    )
    return LSTMTagger(**{**defaults, **params})


# ----------------------------------------------------------------- learning
@pytest.mark.parametrize("crf", [True, False])
def test_learns_word_determined_tags(crf):
    X, y = _word_task()
    tagger = _small(crf=crf).fit(X, y)
    assert tagger.score(X, y) == 1.0
    assert list(tagger.classes_) == ["DET", "NOUN", "VERB"]
    # Words never seen in training still get a tag of the tag set.
    pred = tagger.predict([["the", "zebra", "runs"]])
    assert pred[0][0] == "DET" and pred[0][2] == "VERB"
    assert pred[0][1] in tagger.classes_


@pytest.mark.parametrize("crf", [True, False])
def test_learns_context_dependent_tags(crf):
    X, y = _context_task()
    X_test, y_test = _context_task(n_sentences=50, seed=1)
    tagger = _small(crf=crf, hidden_size=16, max_iter=30).fit(X, y)
    pred = tagger.predict(X_test)
    on_x = [
        p == t
        for words, tags, preds in zip(X_test, y_test, pred, strict=True)
        for w, t, p in zip(words, tags, preds, strict=True)
        if w == "x"
    ]
    assert np.mean(on_x) > 0.95


def test_extra_features_tuples_and_dicts():
    # The word is uninformative; the tag is the feature's value.
    rng = np.random.RandomState(0)
    X_tuples, y = [], []
    for _ in range(60):
        feats = [str(f) for f in rng.choice(["p", "q"], size=rng.randint(1, 6))]
        X_tuples.append([("w", f) for f in feats])
        y.append([f.upper() for f in feats])
    tagger = _small().fit(X_tuples, y)
    assert tagger.n_token_features_ == 1
    assert tagger.score(X_tuples, y) == 1.0
    X_dicts = [[{"word": w, "pos": f} for w, f in s] for s in X_tuples]
    tagger = _small().fit(X_dicts, y)
    assert tagger.feature_names_ == ["word", "pos"]
    assert tagger.score(X_dicts, y) == 1.0
    with pytest.raises(ValueError, match="same form"):
        tagger.predict([["w"]])


@pytest.mark.parametrize(
    "params, min_score",
    [
        (dict(char_features="cnn"), 0.95),
        (dict(char_features="lstm"), 0.95),
        (dict(num_layers=2, dropout=0.2), 0.95),
        (dict(bidirectional=False, crf=False), 0.95),
        # "dog" and "runs" fall outside the vocabulary: their tags are guessed.
        (dict(lowercase=False, min_freq=2, max_vocab=3, word_dropout=0.1), 0.75),
        (dict(solver="sgd", learning_rate="linear", learning_rate_init=0.5), 0.95),
        (dict(clip_grad_norm=None, alpha=1e-4), 0.95),
    ],
)
def test_variants_learn_the_word_task(params, min_score):
    # Ten epochs: held-out token accuracy 0.99-1.0 for every variant but the
    # small vocabulary (0.83); the most frequent tag alone gets 0.5.
    X, y = _word_task(n_sentences=30)
    X_test, y_test = _word_task(n_sentences=30, seed=1)
    tagger = _small(max_iter=10, **params).fit(X, y)
    assert len(tagger.loss_curve_) == tagger.n_iter_ == 10
    assert tagger.loss_curve_[-1] < 0.5 * tagger.loss_curve_[0]
    pred = tagger.predict(X_test)
    assert [len(p) for p in pred] == [len(s) for s in X_test]
    assert tagger.score(X_test, y_test) >= min_score
    # Unknown words share one embedding: only characters tell them apart.
    zebra, xylophone = (
        p[1] for p in tagger.predict_proba([["the", "zebra"], ["the", "xylophone"]])
    )
    assert np.array_equal(zebra, xylophone) == (params.get("char_features") is None)
    if params.get("bidirectional") is False:
        # Read left to right, a token's tag never depends on the words after it.
        full, prefix = tagger.predict_proba([["the", "dog", "runs"], ["the", "dog"]])
        np.testing.assert_array_equal(full[:2], prefix)
    if params.get("learning_rate") == "linear":
        # From learning_rate_init down to 1% of it, over max_iter epochs.
        rate = params["learning_rate_init"]
        expected = [(1 - t / 10) * rate + t / 10 * rate / 100 for t in range(10)]
        rates = [row["learning_rate"] for row in tagger.history_]
        np.testing.assert_allclose(rates, expected)


def test_vocabulary_min_freq_max_vocab_lowercase():
    X = [["The", "the", "dog"], ["dog", "cat", "the"]]
    y = [["D", "D", "N"], ["N", "N", "D"]]
    tagger = _small(max_iter=1, min_freq=2).fit(X, y)
    assert set(tagger.vocabulary_) == {"the", "dog"}
    tagger = _small(max_iter=1, lowercase=False, max_vocab=1).fit(X, y)
    assert set(tagger.vocabulary_) == {"dog"}  # ties go alphabetically
    assert min(tagger.vocabulary_.values()) == 2  # 0 padding, 1 unknown


def test_early_stopping_chunk_f1_and_history():
    X, y = _word_task(n_sentences=80)
    y = [["B-" + t if i == 0 else "I-" + t for i, t in enumerate(s)] for s in y]
    tagger = _small(
        early_stopping=True, metric="chunk_f1", max_iter=40, n_iter_no_change=3
    ).fit(X, y)
    assert tagger.best_validation_score_ == max(tagger.validation_scores_)
    assert len(tagger.validation_scores_) == tagger.n_iter_
    assert tagger.n_iter_ < 40
    assert len(tagger.history_) == tagger.n_iter_
    # score is the chunk F1 (0.95 here), not the token accuracy (0.97).
    pred = tagger.predict(X)
    assert tagger.score(X, y) == chunk_f1_score(y, pred) >= 0.9
    assert chunk_f1_score(y, pred) != token_accuracy_score(y, pred)


# --------------------------------------------------------------- prediction
def test_predict_returns_lists_even_for_equal_lengths():
    X, y = _word_task(n_sentences=20)
    tagger = _small(max_iter=2).fit(X, y)
    pred = tagger.predict([["the", "dog"], ["a", "cat"]])
    assert type(pred) is list and all(type(p) is list for p in pred)
    assert all(isinstance(t, str) for p in pred for t in p)
    assert tagger.predict(np.array([["the", "dog"], ["a", "cat"]])) == pred


@pytest.mark.parametrize("crf", [True, False])
def test_predict_proba(crf):
    X, y = _word_task(n_sentences=20)
    tagger = _small(max_iter=5, crf=crf).fit(X, y)
    proba = tagger.predict_proba(X)
    assert len(proba) == len(X)
    for p, sentence in zip(proba, X, strict=True):
        assert p.shape == (len(sentence), 3)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_empty_sentences():
    X, y = _word_task(n_sentences=20)
    tagger = _small(max_iter=2).fit([[], *X, []], [[], *y, []])  # skipped in fit
    assert tagger.predict([[], ["the"], []]) == [
        [],
        [tagger.predict([["the"]])[0][0]],
        [],
    ]
    assert tagger.predict_proba([[]])[0].shape == (0, 3)
    assert tagger.predict([]) == []
    with pytest.raises(ValueError, match="no non-empty sentence"):
        _small().fit([[], []], [[], []])


def test_padding_does_not_leak():
    """A sentence's output is the same alone and next to longer sentences."""
    X, y = _word_task(n_sentences=30)
    for params in (dict(crf=True, char_features="cnn"), dict(crf=False)):
        tagger = _small(max_iter=3, **params).fit(X, y)
        sentence = ["the", "dog"]
        alone = tagger.predict_proba([sentence])[0]
        together = tagger.predict_proba([["a"] * 30, sentence, ["cat"] * 7])[1]
        np.testing.assert_allclose(alone, together, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------- the contract
def test_common_checks():
    X, y = _word_task(n_sentences=24)
    bad_inputs = [
        ("X and y of different lengths", X, y[:-1], ValueError),
        (
            "sentence and tags of different lengths",
            [["the", "dog"]],
            [["DET"]],
            ValueError,
        ),
        ("non-string token", [["the", 3]], [["DET", "NOUN"]], TypeError),
        ("X a string", "the dog", [["DET"]], TypeError),
        ("one tag only", [["the"]], [["DET"]], ValueError),
        ("bad parameter", {"hidden_size": 0}, ValueError),
        ("bad char_features", {"char_features": "rnn"}, ValueError),
    ]
    checks = common_checks(
        lambda: _small(max_iter=2),
        X,
        y,
        bad_inputs=bad_inputs,
        param_grid={"hidden_size": [4, 8]},
    )
    for check in checks:
        check()


def test_not_fitted():
    with pytest.raises(NotFittedError):
        LSTMTagger().predict([["a"]])


def test_score_counts_unknown_tags_as_errors_and_rejects_bad_y():
    X, y = _word_task(n_sentences=20)
    tagger = _small(max_iter=1).fit(X, y)
    # A tag never seen in training cannot be predicted: an error, not a failure.
    assert tagger.score([["the"]], [["ADJ"]]) == 0.0
    with pytest.raises(ValueError, match="1 tokens but 2 tags"):
        tagger.score([["the"]], [["DET", "DET"]])
    with pytest.raises(TypeError, match="not a list of tags"):
        tagger.score([["the"]], ["DET"])


def test_input_lists_unchanged_and_failed_fit_rolls_back():
    X, y = _word_task(n_sentences=20)
    X_copy, y_copy = copy.deepcopy(X), copy.deepcopy(y)
    tagger = _small(max_iter=2).fit(X, y)
    assert (X_copy, y_copy) == (X, y)
    before = tagger.predict(X)
    vocabulary = dict(tagger.vocabulary_)
    with pytest.raises(TypeError):
        tagger.fit([["new", "words"], ["x", None]], [["A", "B"], ["A", "B"]])
    assert tagger.vocabulary_ == vocabulary and tagger.predict(X) == before


def test_random_state_determinism_and_global_rng():
    X, y = _word_task(n_sentences=20)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = _small(max_iter=3, dropout=0.3, word_dropout=0.2).fit(X, y)
    assert torch.equal(torch.rand(3), expected), "fit touched the global torch RNG"
    b = _small(max_iter=3, dropout=0.3, word_dropout=0.2).fit(X, y)
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters(), strict=True):
        assert torch.equal(pa, pb)
    c = _small(max_iter=3, dropout=0.3, random_state=1).fit(X, y)
    assert not torch.equal(next(a.module_.parameters()), next(c.module_.parameters()))


def test_model_selection_and_pickle():
    X, y = _word_task(n_sentences=30)
    scores = cross_val_score(_small(max_iter=5), X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)
    # Without early stopping, metric changes only how the same networks are
    # scored: each candidate scores a fold with its own metric.
    y_bio = [["B-" + t if i == 0 else "I-" + t for i, t in enumerate(s)] for s in y]
    metrics = {"accuracy": token_accuracy_score, "chunk_f1": chunk_f1_score}
    search = GridSearchCV(_small(max_iter=5), {"metric": list(metrics)}, cv=KFold(2))
    search.fit(X, y_bio)
    for i, (fit_rows, test_rows) in enumerate(KFold(2).split(X)):
        fold = _small(max_iter=5).fit(
            [X[j] for j in fit_rows], [y_bio[j] for j in fit_rows]
        )
        y_test = [y_bio[j] for j in test_rows]
        pred = fold.predict([X[j] for j in test_rows])
        expected = [
            metrics[p["metric"]](y_test, pred) for p in search.cv_results_["params"]
        ]
        np.testing.assert_allclose(search.cv_results_[f"split{i}_test_score"], expected)
        assert expected[0] != expected[1]
    tagger = _small(max_iter=3, char_features="cnn").fit(X, y)
    restored = pickle.loads(pickle.dumps(tagger))
    assert restored.predict(X) == tagger.predict(X)
    assert clone(tagger).get_params() == tagger.get_params()


# ---------------------------------------------------------------------- CRF
def _brute_force(crf, emissions, length):
    """Every tag sequence of ``length`` with its score, enumerated."""
    k = crf.n_tags
    scores = {}
    with torch.no_grad():
        for tags in itertools.product(range(k), repeat=length):
            s = crf.start[tags[0]] + crf.end[tags[-1]]
            s = s + sum(emissions[t, tags[t]] for t in range(length))
            moves = (crf.transitions[tags[t], tags[t + 1]] for t in range(length - 1))
            scores[tags] = float(s + sum(moves))
    return scores


def test_crf_matches_brute_force():
    torch.manual_seed(0)
    n_tags, lengths = 3, [4, 2, 1]
    crf = LinearChainCRF(n_tags).double()
    crf.reset_parameters()
    with torch.no_grad():
        for p in crf.parameters():
            p.mul_(10)  # make the transitions matter
    emissions = torch.randn(3, 4, n_tags, dtype=torch.float64)
    mask = torch.arange(4)[None, :] < torch.tensor(lengths)[:, None]
    with torch.no_grad():
        log_z = crf.log_partition(emissions, mask)
        best = crf.decode(emissions, mask)
        marginals = crf.marginals(emissions, mask)
    for b, length in enumerate(lengths):
        scores = _brute_force(crf, emissions[b], length)
        values = np.array(list(scores.values()))
        brute_log_z = np.logaddexp.reduce(values)
        assert float(log_z[b]) == pytest.approx(brute_log_z)
        assert tuple(best[b, :length].tolist()) == max(scores, key=scores.get)
        brute_marginals = np.zeros((length, n_tags))
        for tags, value in scores.items():
            for t, tag in enumerate(tags):
                brute_marginals[t, tag] += np.exp(value - brute_log_z)
        np.testing.assert_allclose(marginals[b, :length].numpy(), brute_marginals)
        np.testing.assert_allclose(marginals[b, :length].sum(dim=1).numpy(), 1.0)
        some = tuple(range(length))
        some = tuple(t % n_tags for t in some)
        tags = torch.zeros(1, 4, dtype=torch.long)
        tags[0, :length] = torch.tensor(some)
        with torch.no_grad():
            nll = crf.negative_log_likelihood(
                emissions[b : b + 1], tags, mask[b : b + 1]
            )
        assert float(nll[0]) == pytest.approx(brute_log_z - scores[some])


@pytest.mark.parametrize("time", [1, 2, 3, 8, 13])
def test_the_parallel_forward_algorithm_equals_the_sequential_one(time):
    generator = torch.Generator().manual_seed(time)
    crf = LinearChainCRF(5).double()
    crf.reset_parameters(generator)
    emissions = torch.randn(
        6, time, 5, dtype=torch.float64, generator=generator, requires_grad=True
    )
    lengths = torch.randint(1, time + 1, (6,), generator=generator)
    lengths[0] = time
    mask = torch.arange(time)[None, :] < lengths[:, None]
    sequential = crf.log_partition(emissions, mask)
    parallel = crf.parallel_log_partition(emissions, mask)
    torch.testing.assert_close(parallel, sequential)
    grads = [torch.autograd.grad(z.sum(), emissions)[0] for z in (sequential, parallel)]
    torch.testing.assert_close(grads[1], grads[0])


def test_network_output_shape_and_masked_loss():
    torch.manual_seed(0)
    module = SequenceTagger(10, 4, n_chars=6, char_features="cnn", hidden_size=5)
    words = torch.tensor([[2, 3, 4, 0, 0, 0], [5, 0, 0, 0, 0, 0]])
    chars = torch.randint(2, 6, (2, 6, 3))
    chars[words == 0] = 0
    inputs = (words, torch.zeros(2, 6, 0, dtype=torch.long), chars)
    emissions = module(inputs)
    assert emissions.shape == (2, 3, 4)  # trimmed to the longest sentence
    target = torch.tensor([[0, 1, 2, -1, -1, -1], [3, -1, -1, -1, -1, -1]])
    loss = module.loss(emissions, target)
    loss.backward()
    assert torch.isfinite(loss)
    assert float(module.word_embedding.weight.grad[0].abs().sum()) == 0.0


# ------------------------------------------------------------ engine pieces
def test_batches_tuple_inputs_and_order_hook():
    a = torch.arange(10)
    b = torch.arange(10) * 10
    calls = []

    def order(generator):
        calls.append(generator)
        return torch.arange(9, -1, -1)

    batches = Batches((a, b), a.clone(), None, 4, shuffle=True, order=order)
    cut = list(batches.epoch(torch.Generator()))
    assert [len(target) for _, target, _ in cut] == [4, 4, 2]
    (first_a, first_b), first_target, _ = cut[0]
    assert first_a.tolist() == [9, 8, 7, 6] and first_b.tolist() == [90, 80, 70, 60]
    assert first_target.tolist() == [9, 8, 7, 6] and len(calls) == 1


def test_engine_clip_grad_norm():
    """With SGD at lr=1, a clipped step moves the weights by at most the clip."""
    torch.manual_seed(0)
    module = torch.nn.Linear(3, 1)
    before = [p.detach().clone() for p in module.parameters()]
    X = torch.randn(16, 3) * 100
    batches = Batches(X, X.sum(dim=1, keepdim=True), None, 16, shuffle=False)
    config = TrainingConfig(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=1.0,
        max_iter=1,
        clip_grad_norm=1e-3,
    )
    train(
        module,
        lambda out, target, _: ((out - target) ** 2).mean(),
        batches,
        config,
        warn_on_max_iter=False,
    )
    step = torch.cat(
        [
            (p.detach() - q).ravel()
            for p, q in zip(module.parameters(), before, strict=True)
        ]
    )
    assert float(step.norm()) <= 1e-3 * (1 + 1e-5)
    assert float(step.norm()) > 0


# ------------------------------------------------------------ network pieces
@pytest.mark.parametrize("num_layers,bidirectional", [(1, True), (2, True), (2, False)])
def test_padded_lstm_equals_a_packed_lstm(num_layers, bidirectional):
    """Real positions get a packed ``nn.LSTM``'s outputs, whatever the padding holds."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from sklearn_deep.nn._recurrent import PaddedLSTM

    torch.manual_seed(0)
    ours = PaddedLSTM(7, 5, num_layers=num_layers, bidirectional=bidirectional)
    reference = torch.nn.LSTM(
        7, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=True
    )
    with torch.no_grad():
        for layer, directions in enumerate(ours.layers):
            for direction, lstm in enumerate(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(reference, name + suffix).copy_(getattr(lstm, name + "_l0"))
    lengths = torch.tensor([9, 3, 6, 1])
    x = torch.randn(4, 9, 7)
    mask = torch.arange(9)[None, :] < lengths[:, None]
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    expected, _ = pad_packed_sequence(reference(packed)[0], batch_first=True)
    got = ours(x.masked_fill(~mask[:, :, None], 1e3), lengths)
    assert got.shape == (4, 9, 5 * (2 if bidirectional else 1))
    torch.testing.assert_close(got[mask], expected[mask], atol=1e-6, rtol=1e-5)


def test_reverse_within_lengths_is_its_own_inverse():
    from sklearn_deep.nn._recurrent import reverse_within_lengths

    x = torch.arange(12.0).reshape(2, 6)[:, :, None]
    lengths = torch.tensor([4, 6])
    reversed_ = reverse_within_lengths(x, lengths)
    assert reversed_[0, :, 0].tolist() == [3, 2, 1, 0, 4, 5]
    assert reversed_[1, :, 0].tolist() == [11, 10, 9, 8, 7, 6]
    torch.testing.assert_close(reverse_within_lengths(reversed_, lengths), x)


def test_char_cnn_equals_a_masked_max_pooled_convolution():
    import math

    from sklearn_deep.nn._tagger import CharCNN

    torch.manual_seed(0)
    encoder = CharCNN(40, 6, 5)
    chars = torch.randint(1, 40, (12, 9))
    chars[:6, 4:] = 0
    valid = chars != 0
    convolved = encoder.conv(encoder.embedding(chars).transpose(1, 2))
    expected = convolved.masked_fill(~valid[:, None, :], -math.inf).max(2).values
    torch.testing.assert_close(encoder(chars), expected, atol=1e-6, rtol=1e-5)


def test_trains_with_n_threads_and_restores_torch_threads(monkeypatch):
    from sklearn_deep._training._steps import FirstOrderStep

    seen = []
    real_epoch = FirstOrderStep.epoch

    def spy(self, run):
        seen.append(torch.get_num_threads())
        return real_epoch(self, run)

    monkeypatch.setattr(FirstOrderStep, "epoch", spy)
    X, y = _word_task(n_sentences=10)
    torch.set_num_threads(2)
    _small(max_iter=1, n_threads=1).fit(X, y)
    _small(max_iter=1, n_threads=None).fit(X, y)
    assert seen == [1, 2]
    assert torch.get_num_threads() == 2
