"""Benchmark: accuracy and speed of the taggers on CoNLL-2000 and UD English-EWT.

Trainers
--------
* ``ours``            -- ``sklearn_deep.LSTMTagger()`` with its default parameters
  (word embeddings 50 with word dropout 0.25, char CNN, BiLSTM h=200, CRF,
  Adam 2e-3 decayed linearly over 30 epochs, batch 16, the mean of the last 6
  epochs' weights, one thread); on CoNLL-2000 with the words and the given POS
  column and ``metric="chunk_f1"``, on EWT with the words only.
* ``transformer``     -- ``sklearn_deep.TransformerTagger()`` with its default
  parameters (the same token inputs, 2 pre-LN layers of d_model 128 with 4
  heads and a relative-position bias, CRF, Adam 2e-3 after a one-epoch
  warm-up, decayed linearly over 30 epochs, batch 32, one thread), on the
  same inputs and metric as ``ours``.
* ``crfsuite``        -- ``sklearn_crfsuite.CRF`` (L-BFGS, c1 = c2 = 0.1, 100
  iterations, all possible transitions) with the sklearn-crfsuite tutorial's
  features: the word (lower-cased, suffixes, shape) and POS of the token and
  its two neighbours.
* ``crfsuite_window`` -- the same CRF with those features for a +-2 window.
* ``bare``            -- a hand-written PyTorch loop (plain Adam, the same
  length-bucketed batches, gradient clipping at 5, no validation) training the
  very same network (``sklearn_deep.nn.SequenceTagger``, same sizes) for
  ``--bare-epochs`` epochs.

``--throughput`` instead times ``ours`` (``early_stopping=False``) against
``bare`` and ``bare_packed`` (the bare loop with the sentence LSTM swapped for
torch's ``nn.LSTM`` on packed batches, the usual way to write it) on the same
data for ``--throughput-epochs`` epochs, interleaved for ``--repeats`` rounds,
and reports training tokens per CPU second of each (all timings include
encoding the corpus and building the network). ``--throughput --model
transformer`` times ``transformer`` against ``bare_transformer`` (the bare
loop training the very same ``TransformerTaggerNetwork``, plain Adam at the
tagger's rate, no warm-up) and ``ours`` at the transformer's batch size (32).

Measurement rules
-----------------
* One torch thread (``--threads``), and BLAS limited by threadpoolctl.
* Times are reported twice: wall-clock seconds, and the process's CPU seconds
  (``time.process_time``). On a shared machine the wall clock counts the time
  other jobs hold the core; with one thread the CPU seconds are close to what
  an idle core would take, so ratios use CPU seconds.
* Predict speed: test tokens per wall-clock second of ``predict``.

Usage
-----
Everything (about 40 CPU-minutes)::

    python benchmarks/bench_tagger.py

One task, some trainers, a quick smoke run::

    python benchmarks/bench_tagger.py --tasks conll --trainers ours,crfsuite \
        --subset 500 --max-iter 2

Training throughput against the bare loop::

    python benchmarks/bench_tagger.py --throughput --tasks conll
    python benchmarks/bench_tagger.py --throughput --model transformer --tasks conll

Smoke test of a few seconds (the test suite runs it; its figures mean nothing):
every trainer on 100 training and 100 test sentences of each task for 1 epoch,
then the throughput tables of both models for 1 epoch of 1 round on
CoNLL-2000::

    python benchmarks/bench_tagger.py --quick
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from sklearn_deep import LSTMTagger, TransformerTagger
from sklearn_deep._training._buckets import length_bucketed_order
from sklearn_deep.base import FitPlan
from sklearn_deep.datasets import load_conll, load_conllu
from sklearn_deep.metrics import chunk_f1_score, token_accuracy_score

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


# --------------------------------------------------------------------- data
def load_task(task, subset=None, test_subset=None):
    """``(X_train, y_train, X_test, y_test, metric)`` of a task."""
    data = _load_full_task(task)
    if subset:
        data = data[0][:subset], data[1][:subset], *data[2:]
    if test_subset:
        data = *data[:2], data[2][:test_subset], data[3][:test_subset], data[4]
    return data


@functools.cache
def _load_full_task(task):
    # Parsed once per process: several tables read the same corpus.
    if task == "conll":
        folder = SHARED / "conll2000"
        train, test = load_conll(folder / "train.txt"), load_conll(folder / "test.txt")
        data = train.features, train.tags, test.features, test.tags, "chunk_f1"
    elif task == "ewt":
        prefix = SHARED / "ud_english_ewt" / "en_ewt-ud-"
        train = load_conllu(f"{prefix}train.conllu")
        test = load_conllu(f"{prefix}test.conllu")
        data = train.words, train.tags, test.words, test.tags, "accuracy"
    else:
        raise ValueError(f"unknown task {task!r}")
    return data


def _task_data_present(task):
    folder = {"conll": "conll2000", "ewt": "ud_english_ewt"}.get(task)
    return folder is None or (SHARED / folder).is_dir()


def n_tokens(X):
    return sum(len(sentence) for sentence in X)


# ------------------------------------------------------------- the trainers
# The estimator of each trainer that fits through sklearn_deep.
ESTIMATORS = {"ours": LSTMTagger, "transformer": TransformerTagger}
# The transformer's batch size ("auto" on a large corpus): the throughput
# comparisons train every model at it.
TRANSFORMER_BATCH = TransformerTagger._auto_batch_sentences


def fit_ours(
    X, y, metric, max_iter=None, seed=0, curve=None, estimator=LSTMTagger, **params
):
    if max_iter is not None:
        params["max_iter"] = max_iter
    tagger = estimator(metric=metric, random_state=seed, device="cpu", **params)
    if curve is not None:
        tagger.set_callbacks(curve)
    return tagger.fit(X, y)


class TestCurve:
    """A scikit-learn callback that scores the test set after every epoch.

    Its own time (predicting the test set) is subtracted from the seconds it
    reports, which count from the start of ``fit``; the fit times of the final
    row include it, so ``--curve`` runs are for the curve, not the fit time.
    """

    max_propagation_depth = None

    def __init__(self, X_test, y_test, metric):
        self.X_test, self.y_test, self.metric = X_test, y_test, metric
        self.start = self.spent = None
        self.epoch = 0

    def setup(self, estimator, context):
        self.start = time.perf_counter(), time.process_time()
        self.spent = [0.0, 0.0]

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != "epoch" or fitted_estimator is None:
            return False
        wall, cpu = time.perf_counter(), time.process_time()
        self.epoch += 1
        y_pred = fitted_estimator.predict(self.X_test)
        row = {
            "epoch": self.epoch,
            "wall_s": round(wall - self.start[0] - self.spent[0], 1),
            "cpu_s": round(cpu - self.start[1] - self.spent[1], 1),
            **score(self.metric, self.y_test, y_pred),
        }
        print(json.dumps(row), flush=True)
        self.spent[0] += time.perf_counter() - wall
        self.spent[1] += time.process_time() - cpu
        return False


def _token(sentence, i):
    token = sentence[i]
    return (token, None) if isinstance(token, str) else (token[0], token[1])


def crf_features(sentence, window):
    """The sklearn-crfsuite tutorial's features, for offsets in +-``window``."""
    features = []
    for i in range(len(sentence)):
        word, pos = _token(sentence, i)
        f = {
            "bias": 1.0,
            "word.lower()": word.lower(),
            "word[-3:]": word[-3:],
            "word[-2:]": word[-2:],
            "word.isupper()": word.isupper(),
            "word.istitle()": word.istitle(),
            "word.isdigit()": word.isdigit(),
        }
        if pos is not None:
            f.update({"postag": pos, "postag[:2]": pos[:2]})
        for offset in [o for o in range(-window, window + 1) if o != 0]:
            j = i + offset
            if 0 <= j < len(sentence):
                w, p = _token(sentence, j)
                f.update(
                    {
                        f"{offset:+d}:word.lower()": w.lower(),
                        f"{offset:+d}:word.istitle()": w.istitle(),
                        f"{offset:+d}:word.isupper()": w.isupper(),
                    }
                )
                if p is not None:
                    f.update(
                        {f"{offset:+d}:postag": p, f"{offset:+d}:postag[:2]": p[:2]}
                    )
            elif offset == -1:
                f["BOS"] = True
            elif offset == 1:
                f["EOS"] = True
        features.append(f)
    return features


class CRFSuite:
    """sklearn-crfsuite with feature extraction from token sequences."""

    def __init__(self, window):
        import sklearn_crfsuite

        self.window = window
        self.crf = sklearn_crfsuite.CRF(
            algorithm="lbfgs",
            c1=0.1,
            c2=0.1,
            max_iterations=100,
            all_possible_transitions=True,
        )

    def fit(self, X, y):
        self.crf.fit([crf_features(s, self.window) for s in X], y)
        return self

    def predict(self, X):
        return [
            list(p) for p in self.crf.predict([crf_features(s, self.window) for s in X])
        ]


class PackedLSTM(torch.nn.Module):
    """The sentence LSTM as a PyTorch user writes it: ``nn.LSTM`` on packed batches.

    Same sizes and interface as ``sklearn_deep.nn._recurrent.PaddedLSTM``
    (which runs both directions on padded batches instead).
    """

    def __init__(self, padded):
        super().__init__()
        first = padded.layers[0][0]
        self.lstm = torch.nn.LSTM(
            first.input_size,
            padded.hidden_size,
            num_layers=len(padded.layers),
            bidirectional=padded.num_directions == 2,
            batch_first=True,
        )
        self.output_size = padded.output_size

    def forward(self, x, lengths):
        packed = pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        hidden, _ = self.lstm(packed)
        hidden, _ = pad_packed_sequence(
            hidden, batch_first=True, total_length=x.shape[1]
        )
        return hidden


def bare_setup(X, y, metric, packed=False, estimator=LSTMTagger):
    """The estimator's encoding and network, for the bare loop to train."""
    template = estimator(metric=metric, random_state=0, device="cpu", max_iter=1)
    # The fit template's hooks: parse and check, then vocabularies and ids.
    plan = FitPlan(torch.device("cpu"), torch.float32, 0, False, False, False)
    data = template._validate_fit_data(X, y, plan)
    template._prepare_encoding(data, None, plan)
    encoded, target = data.extra["inputs"], data.extra["target"]
    module = template._rebuild_module()  # seeded with 0, as fit seeds it
    if packed:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            module.lstm = PackedLSTM(module.lstm)
    return template, module, encoded, target


def bare_train(module, encoded, target, epochs, batch_size=16, lr=2e-3, clip=5.0):
    """A minimal training loop: bucketed batches, Adam, clipping; no validation."""
    n = target.shape[0]
    sizes = [batch_size] * (n // batch_size) + (
        [n % batch_size] if n % batch_size else []
    )
    lengths = (encoded[0] != 0).sum(dim=1)
    order_of = length_bucketed_order(lengths, sizes, batch_size)
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    module.train()
    for _ in range(epochs):
        order = order_of(generator)
        for rows in order.split(sizes):
            loss = module.loss(module(tuple(p[rows] for p in encoded)), target[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), clip)
            optimizer.step()
    module.eval()
    return module


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def score(metric, y_true, y_pred):
    return {
        "f1": chunk_f1_score(y_true, y_pred) if metric == "chunk_f1" else None,
        "accuracy": token_accuracy_score(y_true, y_pred),
    }


# --------------------------------------------------------------- benchmarks
def run_accuracy(task, trainers, args):
    X, y, X_test, y_test, metric = load_task(task, args.subset, args.test_subset)
    rows = []
    for name in trainers:
        if name in ESTIMATORS:
            curve = TestCurve(X_test, y_test, metric) if args.curve else None
            model, wall, cpu = timed(
                lambda curve=curve, name=name: fit_ours(
                    X,
                    y,
                    metric,
                    args.max_iter,
                    args.seed,
                    curve,
                    estimator=ESTIMATORS[name],
                )
            )
            extra = {"epochs": model.n_iter_}
        elif name in ("crfsuite", "crfsuite_window"):
            try:
                model = CRFSuite(window=1 if name == "crfsuite" else 2)
            except ImportError:
                print(f"# {name}: sklearn_crfsuite is not installed, skipped")
                continue
            model, wall, cpu = timed(lambda model=model: model.fit(X, y))
            extra = {}
        elif name == "bare":
            template, module, encoded, target = bare_setup(X, y, metric)
            _, wall, cpu = timed(
                lambda m=module, e=encoded, t=target: bare_train(
                    m, e, t, args.bare_epochs
                )
            )
            template.module_ = module
            model = template
            extra = {"epochs": args.bare_epochs}
        else:
            raise ValueError(f"unknown trainer {name!r}")
        y_pred, predict_wall, _ = timed(lambda model=model: model.predict(X_test))
        row = {
            "task": task,
            "trainer": name,
            **score(metric, y_test, y_pred),
            "fit_wall_s": round(wall, 1),
            "fit_cpu_s": round(cpu, 1),
            "predict_tokens_per_s": round(n_tokens(X_test) / predict_wall),
            **extra,
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def interleaved_throughput(task, runs, tokens, epochs, repeats):
    """Median training tokens per CPU second of each of ``runs`` (name -> call).

    The runs alternate order every round, so that a drift of the machine's
    speed affects them alike. An untimed round comes first: the first fit of
    a process ran up to 20% slower than the later rounds (costs paid once
    per process), which counted against whichever run came first.
    """
    names = list(runs)
    results = {name: [] for name in names}
    for name in names:
        runs[name]()
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else names[::-1]:
            _, _, cpu = timed(runs[name])
            results[name].append(tokens * epochs / cpu)
            print(
                json.dumps(
                    {
                        "task": task,
                        "trainer": name,
                        "round": round_,
                        "tokens_per_cpu_s": round(tokens * epochs / cpu),
                    }
                ),
                flush=True,
            )
    return {name: statistics.median(results[name]) for name in names}


def run_throughput(task, args):
    if args.model == "transformer":
        return run_transformer_throughput(task, args)
    X, y, _, _, metric = load_task(task, args.subset)
    epochs = args.throughput_epochs

    # The estimator's fit encodes the corpus and builds the network too: both
    # are charged the same set-up.
    def bare_loop(packed):
        _, module, encoded, target = bare_setup(X, y, metric, packed)
        bare_train(module, encoded, target, epochs)

    medians = interleaved_throughput(
        task,
        {
            "ours": lambda: fit_ours(X, y, metric, epochs, early_stopping=False),
            "bare": lambda: bare_loop(False),
            "bare_packed": lambda: bare_loop(True),
        },
        n_tokens(X),
        epochs,
        args.repeats,
    )
    ours, bare, packed = medians.values()
    print(
        "| task | epochs | ours tokens/CPU s | bare | ours/bare "
        "| bare, packed nn.LSTM | ours/packed |"
    )
    print(
        f"| {task} | {epochs} | {ours:,.0f} | {bare:,.0f} | {ours / bare:.2f} "
        f"| {packed:,.0f} | {ours / packed:.2f} |",
        flush=True,
    )


def run_transformer_throughput(task, args):
    """Tokens per CPU second of the transformer, its bare loop and the LSTM."""
    X, y, _, _, metric = load_task(task, args.subset)
    epochs = args.throughput_epochs
    batch = TRANSFORMER_BATCH

    def fit(estimator):
        return fit_ours(
            X,
            y,
            metric,
            epochs,
            estimator=estimator,
            early_stopping=False,
            batch_size=batch,
        )

    def bare():
        _, module, encoded, target = bare_setup(
            X, y, metric, estimator=TransformerTagger
        )
        rate = TransformerTagger().learning_rate_init
        bare_train(module, encoded, target, epochs, batch_size=batch, lr=rate)

    medians = interleaved_throughput(
        task,
        {
            "transformer": lambda: fit(TransformerTagger),
            "bare_transformer": bare,
            "ours": lambda: fit(LSTMTagger),
        },
        n_tokens(X),
        epochs,
        args.repeats,
    )
    ours, bare_loop, lstm = medians.values()
    print(
        "| task | epochs | batch | transformer tokens/CPU s | bare | "
        "transformer/bare | LSTMTagger | transformer/LSTM |"
    )
    print(
        f"| {task} | {epochs} | {batch} | {ours:,.0f} | {bare_loop:,.0f} | "
        f"{ours / bare_loop:.2f} | {lstm:,.0f} | {ours / lstm:.2f} |",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", default="conll,ewt")
    parser.add_argument(
        "--trainers", default="ours,transformer,crfsuite,crfsuite_window,bare"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--subset", type=int, default=None, help="training sentences")
    parser.add_argument(
        "--test-subset", type=int, default=None, help="test sentences (all by default)"
    )
    parser.add_argument("--max-iter", type=int, default=None, help="ours: max epochs")
    parser.add_argument("--seed", type=int, default=0, help="ours: random_state")
    parser.add_argument(
        "--curve", action="store_true", help="ours: test scores after every epoch"
    )
    parser.add_argument("--bare-epochs", type=int, default=15)
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument(
        "--model",
        choices=("lstm", "transformer"),
        default="lstm",
        help="--throughput: which tagger to time against its bare loop",
    )
    parser.add_argument("--throughput-epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: both tables on 100 sentences, 1 epoch",
    )
    if parser.parse_known_args(argv)[0].quick:  # explicit options still win
        parser.set_defaults(
            subset=100,
            test_subset=100,
            max_iter=1,
            bare_epochs=1,
            throughput_epochs=1,
            repeats=1,
        )
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"No data under {SHARED}; nothing to benchmark.")
        return 0
    torch.set_num_threads(args.threads)
    print(
        f"# python {platform.python_version()}, torch {torch.__version__}, "
        f"{args.threads} thread(s), command: {' '.join(sys.argv)}"
    )
    with threadpool_limits(args.threads):
        for task in args.tasks.split(","):
            if not _task_data_present(task):
                print(f"# {task}: no data under {SHARED}, skipped")
                continue
            if args.throughput:
                run_throughput(task, args)
            else:
                rows = run_accuracy(task, args.trainers.split(","), args)
                print(
                    "| task | trainer | chunk F1 | token acc. | fit wall s | "
                    "fit CPU s | predict tokens/s |"
                )
                for r in rows:
                    f1 = "-" if r["f1"] is None else f"{100 * r['f1']:.2f}"
                    print(
                        f"| {r['task']} | {r['trainer']} | {f1} | "
                        f"{100 * r['accuracy']:.2f} | {r['fit_wall_s']} | "
                        f"{r['fit_cpu_s']} | {r['predict_tokens_per_s']:,} |"
                    )
        if args.quick and not args.throughput and _task_data_present("conll"):
            run_throughput("conll", args)
            args.model = "transformer"
            run_throughput("conll", args)
    if args.quick:
        print("\n(--quick: a smoke test; its figures mean nothing.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
