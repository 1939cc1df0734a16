"""
Deploying a tuned pipeline with ONNX
====================================

A model tuned in scikit-learn often has to be served where neither
scikit-learn nor PyTorch is installed: a web service, an edge device, a
program in another language. ONNX is the exchange format for that:
:func:`sklearn_deep.to_onnx` exports a fitted pipeline, scaler included, to
one file, and ``onnxruntime`` runs it with nothing else but numpy.

Here a pipeline is tuned on the handwritten digits, exported, and served by a
separate Python process that imports only ``onnxruntime`` and numpy. The
served probabilities are then compared with the pipeline's own, and the time
to answer one request is measured both ways. See :ref:`deploying` for when to
choose ONNX, :func:`sklearn_deep.save` or pickle.
"""

# %%
import subprocess
import sys
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_deep
from sklearn_deep import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)

# float32 rows give a graph with a float32 input, the networks' dtype.
X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# Tune the pipeline
# -----------------
# The scaler is part of the model: exporting the whole pipeline keeps the
# service from having to redo the preprocessing by hand.
search = GridSearchCV(
    make_pipeline(StandardScaler(), MLPClassifier(max_iter=30, random_state=0)),
    {
        "mlpclassifier__hidden_layer_sizes": [(32,), (64, 32)],
        "mlpclassifier__alpha": [1e-4, 1e-2],
    },
    cv=3,
)
search.fit(X_train, y_train)
model = search.best_estimator_
print(f"best: {search.best_params_}, test accuracy {model.score(X_test, y_test):.3f}")

# %%
# Export it
# ---------
# One row of input fixes the graph's input: its name (``"X"``), type and
# width. ``zipmap=False`` returns the probabilities as a matrix rather than
# one dict per row.
onnx_model = sklearn_deep.to_onnx(model, X_train[:1], zipmap=False)
with open("digits.onnx", "wb") as file:
    file.write(onnx_model.SerializeToString())
print("outputs:", [output.name for output in onnx_model.graph.output])

# %%
# Serve it with onnxruntime alone
# -------------------------------
# The service is a separate program: it loads the file and answers with
# labels and probabilities. It imports neither torch nor scikit-learn nor
# sklearn_deep (it prints which of them ended up loaded: none).
SERVICE = """
import sys
import numpy as np
import onnxruntime

session = onnxruntime.InferenceSession("digits.onnx")
rows = np.load("requests.npy")
labels, probabilities = session.run(None, {"X": rows})
np.save("labels.npy", labels)
np.save("probabilities.npy", probabilities)
loaded = {"torch", "sklearn", "sklearn_deep"} & set(sys.modules)
print("training libraries loaded by the service:", sorted(loaded) or "none")
"""
np.save("requests.npy", X_test)
service = subprocess.run(
    [sys.executable, "-c", SERVICE], capture_output=True, text=True, check=True
)
print(service.stdout.strip())

served_labels = np.load("labels.npy")
served_probabilities = np.load("probabilities.npy")
gap = np.abs(served_probabilities - model.predict_proba(X_test)).max()
print(
    f"labels equal to predict: {np.array_equal(served_labels, model.predict(X_test))}"
)
print(f"largest difference from predict_proba: {gap:.1e}")

# %%
# One request, one row
# --------------------
# A service answering one request at a time pays for every call's overhead.
# The graph runs one row through a handful of operators; ``predict_proba``
# also validates the input and converts it to and from a torch tensor.
import onnxruntime  # noqa: E402

session = onnxruntime.InferenceSession("digits.onnx")


def median_seconds(call, n_calls=200):
    times = []
    for i in range(n_calls):
        row = X_test[i % len(X_test)][None, :]
        start = time.perf_counter()
        call(row)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


latency = {
    "onnxruntime": median_seconds(lambda row: session.run(None, {"X": row})),
    "predict_proba": median_seconds(model.predict_proba),
}
for name, seconds in latency.items():
    print(f"{name}: {1e6 * seconds:.0f} microseconds per row")

fig, ax = plt.subplots(figsize=(5, 2.5))
ax.barh(list(latency), [1e6 * s for s in latency.values()], color=["C2", "C0"])
ax.set_xlabel("median time to answer one row (microseconds)")
ax.set_title("Serving one row")
fig.tight_layout()
