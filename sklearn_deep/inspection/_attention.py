"""A transformer tagger's attention on one sentence: a heat map per head."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_deep.utils._sklearn_compat import check_matplotlib_support


class AttentionDisplay:
    """Where each token of a sentence looks, in every head of one layer.

    Row ``i`` of a head's heat map is the attention distribution of token
    ``i`` over the sentence (it sums to 1): a bright cell ``(i, j)`` means
    token ``j``'s value weighs much in token ``i``'s new representation. Heads
    that learned locality light up a band around the diagonal; others pick
    out particular words. Create it with :meth:`from_estimator`.

    Parameters
    ----------
    weights : ndarray of shape (n_heads, n_tokens, n_tokens)
        The attention weights of one layer.

    tokens : list of str
        The sentence's words, the heat maps' tick labels.

    layer : int, default=0
        Which layer the weights are from, for the title.

    estimator_name : str or None, default=None
        Name of the estimator, used in the title.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One heat map per head.

    images_ : list of matplotlib AxesImage
        The heat maps.

    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    sklearn_deep.TransformerTagger.attention_weights : The weights drawn here.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_deep import TransformerTagger
    >>> from sklearn_deep.inspection import AttentionDisplay
    >>> X = [["the", "dog", "barks"], ["a", "cat", "sleeps"]] * 10
    >>> y = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"]] * 10
    >>> tagger = TransformerTagger(embedding_dim=8, d_model=8, n_heads=2,
    ...                            n_layers=1, dim_feedforward=8,
    ...                            char_features=None, max_iter=2,
    ...                            random_state=0).fit(X, y)
    >>> display = AttentionDisplay.from_estimator(tagger, ["a", "dog", "barks"])
    >>> len(display.axes_)
    2
    """

    def __init__(self, weights, tokens, *, layer=0, estimator_name=None):
        self.weights = np.asarray(weights, dtype=float)
        if self.weights.ndim != 3 or self.weights.shape[1:] != (
            len(tokens),
            len(tokens),
        ):
            raise ValueError(
                "weights must have the shape (n_heads, n_tokens, n_tokens) with "
                f"n_tokens={len(tokens)}; got {self.weights.shape}."
            )
        self.tokens = [str(token) for token in tokens]
        self.layer = layer
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls, estimator, sentence, *, layer=-1, n_cols=4, cmap="viridis", figsize=None
    ):
        """Draw the attention of one layer of a fitted tagger on ``sentence``.

        Parameters
        ----------
        estimator : fitted estimator
            An estimator with an ``attention_weights(sentence)`` method, such
            as :class:`~sklearn_deep.TransformerTagger`.

        sentence : list of str, tuple or dict
            One sentence, in the token format the estimator was fitted on.

        layer : int, default=-1
            The layer to draw, counted from 0; negative counts from the last.

        n_cols, cmap, figsize
            How to draw the heat maps, as for :meth:`plot`.

        Returns
        -------
        display : AttentionDisplay
            The display, with the heat maps drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not callable(getattr(estimator, "attention_weights", None)):
            raise ValueError(
                f"{type(estimator).__name__} has no attention_weights; "
                "AttentionDisplay needs an attention model such as "
                "TransformerTagger."
            )
        weights = estimator.attention_weights(sentence)
        n_layers = weights.shape[0]
        if (
            isinstance(layer, bool)
            or not isinstance(layer, (int, np.integer))
            or not (-n_layers <= layer < n_layers)
        ):
            raise ValueError(
                f"layer must be an int in [{-n_layers}, {n_layers - 1}] for a "
                f"network of {n_layers} layer(s); got {layer!r}."
            )
        words = [
            token if isinstance(token, str) else _word(token) for token in sentence
        ]
        display = cls(
            weights[layer],
            words,
            layer=int(layer) % n_layers,
            estimator_name=type(estimator).__name__,
        )
        return display.plot(n_cols=n_cols, cmap=cmap, figsize=figsize)

    def plot(self, *, n_cols=4, cmap="viridis", figsize=None):
        """Draw one heat map per head, ``n_cols`` to a row.

        Parameters
        ----------
        n_cols : int, default=4
            Heat maps per row.

        cmap : str, default="viridis"
            The colour map.

        figsize : tuple of float or None, default=None
            The figure's size; from the sentence length when None.

        Returns
        -------
        display : AttentionDisplay
            This display, with the heat maps drawn.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        n_heads, n_tokens = self.weights.shape[:2]
        if isinstance(n_cols, bool) or not isinstance(n_cols, (int, np.integer)):
            raise ValueError(f"n_cols must be a positive int, got {n_cols!r}.")
        n_cols = max(1, min(n_cols, n_heads))
        n_rows = -(-n_heads // n_cols)
        if figsize is None:
            side = min(max(2.5, 0.25 * n_tokens + 1.0), 6.0)
            figsize = (side * n_cols, side * n_rows + 0.6)
        figure, axes = plt.subplots(n_rows, n_cols, figsize=figsize, squeeze=False)
        axes = axes.ravel()
        images = []
        # One colour scale, 0 to 1, so that the heads compare.
        for head, ax in enumerate(axes):
            if head >= n_heads:
                ax.set_visible(False)
                continue
            images.append(ax.imshow(self.weights[head], cmap=cmap, vmin=0, vmax=1))
            ax.set_xticks(range(n_tokens))
            ax.set_yticks(range(n_tokens))
            ax.set_xticklabels(self.tokens, rotation=90, fontsize=7)
            ax.set_yticklabels(self.tokens, fontsize=7)
            ax.set_title(f"head {head}", fontsize=9)
        figure.colorbar(images[0], ax=axes[:n_heads].tolist(), shrink=0.8)
        title = f"Attention of layer {self.layer}"
        if self.estimator_name is not None:
            title += f" of {self.estimator_name}"
        figure.suptitle(title + " (row: a token, columns: where it looks)")
        self.axes_ = axes[:n_heads]
        self.images_ = images
        self.figure_ = figure
        return self


def _word(token):
    """The word of a tuple or dict token."""
    if isinstance(token, dict):
        return str(token.get("word", ""))
    return str(token[0]) if len(token) else ""
