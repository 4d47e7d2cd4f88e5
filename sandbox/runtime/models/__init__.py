"""Built-in models, one plain nn.Module per file: `Model(input_shape, output_dim, **params)`.

Nothing is imported here: the runtime imports a model's module only when a config names it.
"""
