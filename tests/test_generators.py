"""The networks draw every random number from the generators they are given.

``reset_parameters(generator)`` sets every parameter and buffer of a network;
``build_uninitialized`` builds one without the default initialisation that
torch's layers draw from the global generator; the ``RandomDraws`` layers
(dropout, word dropout, input noise) draw from their ``generator``, which
``draw_from`` sets for a while.
"""

import math

import pytest
import torch
from torch import nn

from sklearn_deep.nn import (
    AutoencoderNetwork,
    ConvolutionalNetwork,
    Dropout,
    GraphConvolutionalNetwork,
    MultilayerPerceptron,
    RandomDraws,
    SequenceTagger,
    build_uninitialized,
    draw_from,
    normalize_adjacency,
)


def _adjacency(n=6):
    rows = torch.arange(n - 1)
    edges = torch.stack([torch.cat([rows, rows + 1]), torch.cat([rows + 1, rows])])
    adjacency = torch.sparse_coo_tensor(edges, torch.ones(edges.shape[1]), (n, n))
    return normalize_adjacency(adjacency)


TAGGER = dict(
    feature_sizes=(4,),
    embedding_dim=6,
    feature_embedding_dim=3,
    n_chars=9,
    char_embedding_dim=4,
    char_hidden_size=5,
    hidden_size=7,
    num_layers=2,
    dropout=0.3,
    word_dropout=0.2,
)

NETWORKS = {
    "mlp": (
        lambda: MultilayerPerceptron(5, (8, 4), 3, dropout=0.2, batch_norm=True),
        lambda m, g: m.reset_parameters("glorot_uniform", g),
    ),
    "autoencoder": (
        lambda: AutoencoderNetwork(
            5, (4,), 2, tied_weights=True, noise=0.2, dropout=0.1, batch_norm=True
        ),
        lambda m, g: m.reset_parameters("he_normal", g),
    ),
    "cnn": (
        # Five features, as the tests below feed every flat network.
        lambda: ConvolutionalNetwork(
            (1, 5), (4, 3), 3, kernel_size=3, hidden_layer_sizes=(5,), max_shift=1
        ),
        lambda m, g: m.reset_parameters(g),
    ),
    "tagger-cnn-crf": (
        lambda: SequenceTagger(12, 4, char_features="cnn", crf=True, **TAGGER),
        lambda m, g: m.reset_parameters(g),
    ),
    "tagger-lstm": (
        lambda: SequenceTagger(12, 4, char_features="lstm", crf=False, **TAGGER),
        lambda m, g: m.reset_parameters(g),
    ),
}


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _spoil(module):
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            tensor.fill_(math.nan if tensor.is_floating_point() else -1)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_reset_parameters_sets_everything_from_the_generator(name):
    build, reset = NETWORKS[name]
    torch.manual_seed(0)
    before = torch.get_rng_state()
    module = build_uninitialized(build)
    _spoil(module)
    reset(module, torch.Generator().manual_seed(3))
    assert torch.equal(torch.get_rng_state(), before), "drew from the global RNG"
    for key, value in module.state_dict().items():
        if value.is_floating_point():
            assert not value.isnan().any(), f"{key} was left unset"
        else:
            assert (value >= 0).all(), f"{key} was left unset"
    first = _state(module)
    # The same seed gives the same weights, whatever was there before; another
    # seed, other weights.
    reset(module, torch.Generator().manual_seed(3))
    assert all(torch.equal(first[k], v) for k, v in _state(module).items())
    reset(module, torch.Generator().manual_seed(4))
    assert any(
        not torch.equal(first[k], v)
        for k, v in _state(module).items()
        if v.is_floating_point() and v.abs().sum() > 0
    )


def test_graph_network_draws_its_initial_weights_from_its_generator():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    features = torch.rand(6, 3, generator=torch.Generator().manual_seed(0))
    networks = [
        GraphConvolutionalNetwork(
            _adjacency(), features, (4,), 2, generator=torch.Generator().manual_seed(1)
        )
        for _ in range(2)
    ]
    assert torch.equal(torch.get_rng_state(), before)
    for a, b in zip(*(n.parameters() for n in networks), strict=True):
        assert torch.equal(a, b)
    reset = _state(networks[0])
    networks[0].reset_parameters(torch.Generator().manual_seed(1))
    assert all(torch.equal(reset[k], v) for k, v in _state(networks[0]).items())


def test_tagger_initialisation_has_torchs_default_distributions():
    module = build_uninitialized(
        SequenceTagger, 50, 5, char_features="cnn", **{**TAGGER, "hidden_size": 16}
    )
    _spoil(module)
    module.reset_parameters(torch.Generator().manual_seed(0))
    for lstm in (m for m in module.modules() if isinstance(m, nn.LSTM)):
        bound = 1 / math.sqrt(lstm.hidden_size)
        for name, parameter in lstm.named_parameters():
            values = parameter.detach()
            if name.startswith("bias_ih"):
                hidden = lstm.hidden_size
                forget = values[hidden : 2 * hidden]
                assert torch.equal(forget, torch.ones_like(forget))
                values = torch.cat([values[:hidden], values[2 * hidden :]])
            assert values.abs().max() <= bound
            assert values.abs().max() > 0.8 * bound  # uniform over the range
    for layer, fan_in in ((module.output, 32), (module.char_encoder.conv, 4 * 3)):
        for values in (layer.weight, layer.bias):
            assert 0.8 / math.sqrt(fan_in) < values.abs().max() <= 1 / math.sqrt(fan_in)
    embedding = module.word_embedding.weight
    assert torch.equal(embedding[0], torch.zeros_like(embedding[0]))
    assert embedding.abs().max() <= math.sqrt(3 / embedding.shape[1])
    assert module.crf.transitions.abs().max() <= 0.1


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_draw_from_points_every_random_layer_at_the_generator(name):
    module = NETWORKS[name][0]()
    layers = [m for m in module.modules() if isinstance(m, RandomDraws)]
    assert layers, "the network has random layers"
    own = torch.Generator()
    layers[0].generator = own
    generator = torch.Generator()
    with pytest.raises(RuntimeError, match="inside"), draw_from(module, generator):
        assert all(layer.generator is generator for layer in layers)
        raise RuntimeError("inside")
    assert layers[0].generator is own
    assert all(layer.generator is None for layer in layers[1:])


def test_random_layers_draw_from_their_generator_only():
    x = torch.ones(50, 40)
    drop = Dropout(0.5).train()
    masks = []
    torch.manual_seed(0)
    before = torch.get_rng_state()
    for _ in range(2):
        with draw_from(drop, torch.Generator().manual_seed(5)):
            masks.append(drop(x))
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(masks[0], masks[1])
    assert set(masks[0].unique().tolist()) == {0.0, 2.0}
    # Without a generator: torch's global one, as torch's own layers.
    torch.manual_seed(1)
    first = drop(x)
    torch.manual_seed(1)
    assert torch.equal(first, drop(x))


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_a_network_in_training_draws_nothing_from_the_global_generator(name):
    module = NETWORKS[name][0]().train()
    if isinstance(module, SequenceTagger):
        words = torch.tensor([[2, 3, 4, 0], [5, 6, 0, 0]])
        ids = torch.ones(2, 4, 4, dtype=torch.long)
        inputs = (words, ids[:, :, :1], ids[:, :, 1:])
    else:
        inputs = torch.randn(4, 5)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    outputs = []
    for _ in range(2):
        with draw_from(module, torch.Generator().manual_seed(9)):
            output = module(inputs)
        outputs.append(output[0] if isinstance(output, tuple) else output)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(outputs[0], outputs[1])
