"""The base of TorchClassifier and TorchRegressor: a user's network on our engine.

The fit template, the engine and the parameter table are the shared ones
(``sklearn_deep.base.DeepEstimator``); this base fills in its hooks for a
network the user brings: the module's constructor arguments as
hyper-parameters (``_module_params.py``), its initialisation from the fit's
generator (``_initialization.py``), inputs of any rank or a dict of them
(``_inputs.py``) and the criterion (``_criteria.py``). Each estimator encodes
its own target and says which output activation prediction applies.
"""

import copy
from abc import abstractmethod

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from sklearn_deep.base import (
    DeepEstimator,
    FitData,
    minibatches,
    within_thread_budget,
)
from sklearn_deep.utils._fitted_checks import check_feature_names, check_fitted_count
from sklearn_deep.utils._sklearn_compat import _check_sample_weight
from sklearn_deep.utils._torch import (
    TORCH_DTYPES,
    to_numpy,
    to_tensor,
)
from sklearn_deep.wrappers import _criteria
from sklearn_deep.wrappers._initialization import build_module, replace_dropout
from sklearn_deep.wrappers._inputs import (
    KeywordInputs,
    call_module,
    predict_blocks,
    to_tensors,
    validate_inputs,
)
from sklearn_deep.wrappers._module_params import (
    arguments_for_data,
    check_module_arguments,
    is_module_class,
    listed_module_params,
    split_module_keys,
)

# The module and the loss: a class or an instance of torch.nn.Module, which
# fit checks with a clear message (a callable criterion too).
MODULE_CONSTRAINTS = {
    "module": [None, type, torch.nn.Module],
    "module_params": [None, dict],
    "keep_integer_X": ["boolean"],
}


class BaseTorchEstimator(DeepEstimator):
    """Base class for TorchClassifier and TorchRegressor; not for direct use."""

    _parameter_constraints = MODULE_CONSTRAINTS
    _fitted_attributes = (
        "n_features_in_",
        "feature_names_in_",
        "n_outputs_",
        "out_activation_",
        "module_params_",
        "_input_spec",
    )

    # ------------------------------------------------- module__<arg> params
    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        if deep:
            params.update(listed_module_params(self.module, self.module_params))
        return params

    def set_params(self, **params):
        params, module_keys = split_module_keys(params)
        if module_keys:
            module = params.get("module", self.module)
            check_module_arguments(module, module_keys, owner=type(self).__name__)
            merged = dict(params.get("module_params", self.module_params) or {})
            merged.update(module_keys)
            params["module_params"] = merged  # a new dict: clones never share one
        return super().set_params(**params)

    # ------------------------------------------------------ the family hooks
    @abstractmethod
    def _encode_target(self, y, first_call):
        """``(target array, target dtype kind)``; sets the target's attributes."""

    @abstractmethod
    def _data_shapes(self):
        """The module arguments the target determines (``n_classes``, ...)."""

    def _set_partial_fit_classes(self, classes):
        pass

    def _stratify(self, y):
        return None

    # ------------------------------------------------- the template's hooks
    def _check_module(self):
        owner = type(self).__name__
        if self.module is None:
            raise ValueError(
                f"{owner} needs a network: pass module=MyModule (a "
                "torch.nn.Module subclass) or an instance of one."
            )
        if isinstance(self.module, type) and not is_module_class(self.module):
            raise TypeError(
                f"module must be a torch.nn.Module subclass or instance, got the "
                f"class {self.module.__name__}."
            )
        check_module_arguments(self.module, list(self.module_params or {}), owner=owner)

    def _validate_fit_data(self, X, y, fit, sample_weight=None, classes=None):
        self._check_module()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        arrays, names, y = validate_inputs(
            self, X, y, reset=not fit.continuing, y_numeric=self._y_numeric
        )
        n_samples = arrays[0].shape[0]
        if not fit.continuing:
            self.__dict__.pop("classes_", None)
        if fit.incremental and not fit.continuing:
            self._set_partial_fit_classes(classes)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, arrays[0], dtype=np.float64, ensure_non_negative=True
            )
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        target, kind = self._encode_target(y, first_call=not fit.continuing)
        _criteria.check_sample_weight_support(
            self._criterion(), sample_weight, type(self).__name__
        )
        if not fit.continuing:
            self.module_params_ = None
            if is_module_class(self.module):
                shapes = self._data_shapes()
                single_2d = names is None and arrays[0].ndim == 2
                shapes["n_features"] = arrays[0].shape[1] if single_2d else None
                shapes["reason"] = (
                    "X is a dict" if names is not None else f"X is {arrays[0].ndim}-D"
                )
                self.module_params_ = arguments_for_data(
                    self.module, self.module_params, shapes
                )
        self._input_names = names
        X_user = X if names is None else dict(zip(names, arrays, strict=True))
        return FitData(
            n_samples,
            X=arrays[0] if names is None else X_user,
            y=y,
            sample_weight=sample_weight,
            stratify=self._stratify(y),
            callback_metadata=metadata,
            extra={
                "inputs": to_tensors(arrays, names, fit.dtype, fit.device),
                "target": target,
                "target_kind": kind,
                "names": names,
            },
        )

    def _network_spec(self):
        if not is_module_class(self.module):
            return None
        return self.module, (), dict(self.module_params_)

    def _build_module(self, device, dtype, generator):
        if is_module_class(self.module):
            module = build_module(self.module, dict(self.module_params_), generator)
        else:
            # The user's instance is never trained or changed: its copy is.
            module = replace_dropout(copy.deepcopy(self.module))
        return module.to(device=device, dtype=dtype)

    def _shape_module(self):
        module = super()._shape_module()
        return replace_dropout(module)

    def _make_batches(self, data, train_rows, config, fit):
        inputs, target = data.extra["inputs"], data.extra["target"]
        target_dtype = torch.long if data.extra["target_kind"] == "i" else fit.dtype
        target = to_tensor(target, target_dtype, fit.device)
        self._check_output(fit.module, inputs, data.extra["names"], data.n_samples)
        return minibatches(self, inputs, target, data, train_rows, config, fit)

    def _loss_function(self, data, fit):
        return _criteria.loss_function(self._criterion())

    def _criterion(self):
        return self.criterion

    def _validation_score(self, data, validation_rows, fit):
        y_val = data.y[validation_rows]
        weight = data.sample_weight
        sw_val = None if weight is None else weight[validation_rows]
        names = data.extra["names"]
        if self.scoring is not None:
            X = data.X
            X_val = (
                X[validation_rows]
                if names is None
                else {k: v[validation_rows] for k, v in X.items()}
            )
            user_score = self._user_scoring(X_val, y_val, sample_weight=sw_val)
            return lambda module: user_score(_unwrapped(module))
        inputs = data.extra["inputs"]
        rows = torch.as_tensor(validation_rows, device=fit.device)
        blocks = rows.split(self._prediction_block(fit.device))

        @torch.inference_mode()
        def score(module):
            network = _unwrapped(module)
            outputs = []
            for block in blocks:
                batch = (
                    inputs[block]
                    if names is None
                    else tuple(tensor[block] for tensor in inputs)
                )
                output = call_module(network, batch, names)
                outputs.append(to_numpy(self._activate(output)))
            return self._metric(y_val, np.concatenate(outputs), sw_val)

        return score

    def _train(self, module, loss, batches, config, state, fit, score, callbacks):
        names = getattr(self, "_input_names", None)
        if names is not None:
            module = KeywordInputs(module, names)
        try:
            return super()._train(
                module, loss, batches, config, state, fit, score, callbacks
            )
        except (RuntimeError, IndexError) as exc:
            # The user's forward or loss failed on a training batch that the
            # two-row probe at the start did not show (an id beyond an
            # embedding in a later row): say so rather than torch's traceback.
            raise ValueError(
                f"The module {type(_unwrapped(module)).__name__} failed during "
                f"training: {type(exc).__name__}: {exc}"
            ) from exc

    # ------------------------------------------------------------- prediction
    def _check_output(self, module, inputs, names, n_samples):
        """Run the network on two rows; raise if its output shape is wrong."""
        n = min(2, n_samples)
        batch = inputs[:n] if names is None else tuple(t[:n] for t in inputs)
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                output = self._forward_checked(module, batch, names)
        finally:
            module.train(was_training)
        self._check_output_shape(output, n)

    def _forward_checked(self, module, batch, names):
        try:
            return call_module(module, batch, names)
        except (RuntimeError, IndexError, TypeError) as exc:
            shapes = (
                tuple(batch.shape)
                if names is None
                else {k: tuple(t.shape) for k, t in zip(names, batch, strict=True)}
            )
            raise ValueError(
                f"The module {type(module).__name__} failed on a batch of "
                f"input shape {shapes}: {type(exc).__name__}: {exc}"
            ) from exc

    def _check_output_shape(self, output, n_rows):
        expected = (n_rows, self.n_outputs_)
        if not isinstance(output, torch.Tensor) or not output.is_floating_point():
            raise ValueError(
                f"The module must return a float tensor of shape {expected} "
                f"(n_samples, {self._output_description}), got "
                f"{type(output).__name__}."
            )
        if tuple(output.shape) != expected:
            raise ValueError(
                f"The module returned outputs of shape {tuple(output.shape)} for "
                f"{n_rows} samples; {type(self).__name__} expects {expected}: "
                f"(n_samples, {self._output_description})."
            )

    @within_thread_budget
    def _raw_output(self, X):
        """The network's activated outputs on ``X``, as float64 numpy."""
        check_is_fitted(self)
        arrays, names, _ = validate_inputs(self, X, reset=False)
        parameter = next(self.module_.parameters(), None)
        dtype = TORCH_DTYPES[self.dtype] if parameter is None else parameter.dtype
        device = torch.device("cpu") if parameter is None else parameter.device
        self.module_.eval()

        def check(output, n_rows):
            self._check_output_shape(output, n_rows)

        try:
            output = predict_blocks(
                self.module_,
                arrays,
                names,
                float_dtype=dtype,
                device=device,
                block_rows=self._prediction_block(device),
                check=check,
                activate=self._activate,
            )
        except (RuntimeError, IndexError, TypeError) as exc:
            # The user's forward failed on this input (an id beyond an
            # embedding, a layout the network does not take): say so.
            raise ValueError(
                f"The module {type(self.module_).__name__} failed on the "
                f"input: {type(exc).__name__}: {exc}"
            ) from exc
        if output is None:
            return np.empty((0, self.n_outputs_))
        return output.astype(np.float64, copy=False)

    # --------------------------------------------- checks of sklearn_deep.load
    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        if not is_module_class(self.module):
            raise ValueError("only a model of a module class can be loaded.")
        arguments = self.module_params_
        if not isinstance(arguments, dict) or not all(
            isinstance(key, str) for key in arguments
        ):
            raise ValueError("module_params_ must be a dict of argument names.")
        check_module_arguments(self.module, list(arguments), owner=type(self).__name__)
        check_fitted_count(self, "n_outputs_")
        spec = getattr(self, "_input_spec", None)
        if not isinstance(spec, tuple) or not spec:
            raise ValueError("the input layout (_input_spec) is missing.")
        for entry in spec:
            if (
                not isinstance(entry, tuple)
                or len(entry) != 3
                or not (entry[0] is None or isinstance(entry[0], str))
                or not isinstance(entry[1], tuple)
                or not all(isinstance(s, int) and s >= 0 for s in entry[1])
                or entry[2] not in ("i", "f")
            ):
                raise ValueError(f"invalid input layout entry {str(entry)[:80]}.")
        names = [name for name, _, _ in spec]
        if len(set(names)) != len(names) or (len(spec) > 1 and None in names):
            raise ValueError("the input layout (_input_spec) repeats an input.")
        if any(kind == "i" for _, _, kind in spec) and not self.keep_integer_X:
            raise ValueError("integer inputs are kept only with keep_integer_X=True.")
        if hasattr(self, "n_features_in_"):
            check_fitted_count(self, "n_features_in_")
            check_feature_names(self)
            # One 2-D input: its width is n_features_in_, and the module's
            # n_features argument when it took one from the data.
            widths = {self.n_features_in_}
            if len(spec) == 1 and len(spec[0][1]) == 1:
                widths.add(spec[0][1][0])
            if "n_features" in arguments:
                widths.add(arguments["n_features"])
            if len(widths) != 1:
                raise ValueError(
                    "n_features_in_, the input layout and the module's "
                    f"n_features disagree: {sorted(widths, key=str)}."
                )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _unwrapped(module):
    return module.module if isinstance(module, KeywordInputs) else module
