"""Code generation: sympy closed forms -> kernel source text (Arb balls, numpy and numba
floats, midpoint-radius numba).

``kernels.render_activation(spec)`` renders every kernel file of any ``Activation`` spec,
the registry's (``tools/generate_kernels.py`` writes them into ``selu_theory/_generated``)
or a user's (generated lazily at run time into a per-user cache).  This package imports
sympy; the runtime proper never imports it (only the user-activation module does, when a
user's activation needs kernels).
"""
