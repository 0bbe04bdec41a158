"""Small PyTorch models used across the pages.

Taught on: "Activation functions (激活函数)", "Batch size (batch_size 的使用)" and
"Batch Normalization".
"""

from __future__ import annotations

from ._checks import check_int

#: Activation names accepted by :func:`mlp`, mapped to ``torch.nn`` classes.
TORCH_ACTIVATIONS = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "elu": "ELU",
    "leaky_relu": "LeakyReLU",
    "gelu": "GELU",
    "silu": "SiLU",
}


def mlp(
    in_features: int,
    hidden: int,
    out_features: int,
    depth: int = 2,
    activation: str = "relu",
    batchnorm: bool = False,
    dropout: float = 0.0,
):
    """A fully connected network: ``depth`` hidden layers of width ``hidden``.

    Each hidden layer is Linear → (BatchNorm1d) → activation → (Dropout). The output
    layer is a plain Linear (logits). Weights use PyTorch's default initialisation;
    re-initialise them for experiments that need another scheme.
    """
    import torch.nn as nn

    in_features = check_int(in_features, "in_features", minimum=1)
    hidden = check_int(hidden, "hidden", minimum=1)
    out_features = check_int(out_features, "out_features", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    if activation not in TORCH_ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(sorted(TORCH_ACTIVATIONS))}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}")
    layers: list = []
    width = in_features
    for _ in range(depth):
        layers.append(nn.Linear(width, hidden))
        if batchnorm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(getattr(nn, TORCH_ACTIVATIONS[activation])())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


#: Initialisation schemes accepted by :func:`init_linear_layers`.
INIT_SCHEMES = ("xavier", "kaiming", "default")


def init_linear_layers(model, scheme: str, seed: int = 0):
    """Re-initialise every ``nn.Linear`` of ``model`` in place and return the model.

    ``"xavier"`` (Glorot & Bengio 2010) draws weights with variance 2 / (fan_in + fan_out),
    suited to tanh and sigmoid; ``"kaiming"`` (He et al. 2015) uses variance 2 / fan_in,
    suited to ReLU; ``"default"`` restores PyTorch's own ``reset_parameters``. Biases are
    set to zero for the first two. ``seed`` makes the draw reproducible.
    """
    import torch
    import torch.nn as nn

    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; known: {', '.join(INIT_SCHEMES)}")
    seed = check_int(seed, "seed", minimum=0)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for module in model.modules():
            if not isinstance(module, nn.Linear):
                continue
            if scheme == "default":
                module.reset_parameters()
                continue
            if scheme == "xavier":
                nn.init.xavier_normal_(module.weight)
            else:
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    finally:
        torch.random.set_rng_state(generator_state)
    return model
