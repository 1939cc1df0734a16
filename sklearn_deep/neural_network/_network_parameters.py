"""The constraints of the network parameters every 2-D network family shares."""

from numbers import Integral, Real

from sklearn_deep.nn import ACTIVATIONS, WEIGHT_INITS
from sklearn_deep.utils._sklearn_compat import Interval, StrOptions

NETWORK_PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "weight_init": [StrOptions(set(WEIGHT_INITS))],
    "sparse_init_density": [Interval(Real, 0, 1, closed="right")],
    "batch_norm": ["boolean"],
    "dropout": [Interval(Real, 0, 1, closed="left")],
}
