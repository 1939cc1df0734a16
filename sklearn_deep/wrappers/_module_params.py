"""The user's network as hyper-parameters: ``module_params`` and ``module__x``.

The estimator stores the network's constructor arguments in one parameter,
``module_params`` (a dict), so that its ``__init__`` keeps an explicit
signature, which scikit-learn's ``clone`` and checks rely on. For tuning,
``get_params(deep=True)`` also lists each constructor argument of the module
class as ``module__<arg>`` and ``set_params(module__<arg>=...)`` stores it in a
new ``module_params`` dict, the way a ``Pipeline`` exposes ``step__param``: a
grid search over ``{"module__hidden_units": [64, 128]}`` works, and clones never
share a dict.
"""

import inspect

import torch

PREFIX = "module__"
# Constructor arguments filled in from the data when the user leaves them unset.
SHAPE_ARGUMENTS = ("n_features", "n_classes", "n_outputs")


def is_module_class(module):
    return isinstance(module, type) and issubclass(module, torch.nn.Module)


def constructor_arguments(module_class):
    """``(named arguments {name: default or empty}, takes **kwargs)``."""
    signature = inspect.signature(module_class.__init__)
    named, var_keyword = {}, False
    for name, parameter in list(signature.parameters.items())[1:]:
        if parameter.kind is parameter.VAR_KEYWORD:
            var_keyword = True
        elif parameter.kind is not parameter.VAR_POSITIONAL:
            named[name] = parameter.default
    return named, var_keyword


def listed_module_params(module, module_params):
    """``{"module__<arg>": value}`` for ``get_params(deep=True)``.

    Every constructor argument with a value (given in ``module_params`` or a
    default) is listed; those without either (the shapes the data fills in)
    are not, but ``set_params`` accepts them.
    """
    if not is_module_class(module) or not isinstance(module_params, dict | None):
        return {}  # fit says what is wrong with them
    named, _ = constructor_arguments(module)
    given = dict(module_params or {})
    listed = {}
    for name, default in named.items():
        if name in given:
            listed[PREFIX + name] = given.pop(name)
        elif default is not inspect.Parameter.empty:
            listed[PREFIX + name] = default
    listed.update({PREFIX + name: value for name, value in given.items()})
    return listed


def check_module_arguments(module, names, *, owner):
    """Raise ``ValueError`` unless ``module``'s constructor takes ``names``."""
    if not names:
        return
    if not is_module_class(module):
        raise ValueError(
            f"{owner} got module parameters {sorted(names)}, but its module is "
            f"{'not set' if module is None else 'an instance'}: module "
            "parameters build a module class. Pass the class (module=MyModule) "
            "or set the arguments on your instance before passing it."
        )
    named, var_keyword = constructor_arguments(module)
    unknown = sorted(set(names) - set(named))
    if unknown and not var_keyword:
        raise ValueError(
            f"Invalid module parameter(s) {unknown} for {owner}: "
            f"{module.__name__}.__init__ takes {sorted(named)}. Set them as "
            "module__<argument> or in module_params."
        )


def split_module_keys(params):
    """``(other params, {arg: value} of the "module__<arg>" keys)``."""
    module_keys = {
        key[len(PREFIX) :]: value
        for key, value in params.items()
        if key.startswith(PREFIX)
    }
    other = {key: value for key, value in params.items() if not key.startswith(PREFIX)}
    return other, module_keys


def arguments_for_data(module_class, module_params, shapes):
    """The constructor arguments of a fit: the user's plus the data's shapes.

    ``shapes`` maps each of ``SHAPE_ARGUMENTS`` the data determines to its
    value; a shape argument the constructor takes and the user left unset (or
    set to None) is filled in. One the data cannot give (``n_features`` of
    3-D X) must be set by the user.
    """
    named, _ = constructor_arguments(module_class)
    arguments = dict(module_params or {})
    for name in SHAPE_ARGUMENTS:
        if name not in named or arguments.get(name) is not None:
            continue
        if name in shapes and shapes[name] is not None:
            arguments[name] = shapes[name]
        elif named[name] is inspect.Parameter.empty:
            raise ValueError(
                f"{module_class.__name__} takes {name!r}, which the data does "
                f"not determine here ({shapes.get('reason', 'no value')}): set "
                f"module__{name} (or module_params={{{name!r}: ...}})."
            )
    missing = [
        name
        for name, default in named.items()
        if default is inspect.Parameter.empty and name not in arguments
    ]
    if missing:
        raise ValueError(
            f"{module_class.__name__}.__init__ needs {missing}: set them as "
            "module__<argument> or in module_params."
        )
    return arguments
