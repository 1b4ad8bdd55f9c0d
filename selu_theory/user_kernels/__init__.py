"""User activations' generated kernels: a package whose modules live in the user cache.

``selu_theory.user_kernels.<id>.ball_kernels`` is the file
``<cache>/activations/<id>/ball_kernels.py`` (see ``selu_theory.user_cache``): this
package's ``__path__`` is that cache directory, not a directory of the installed package,
so nothing is ever written into the package.  Because the module names are ordinary
importable names, generated functions pickle by reference and a worker process (fork or
spawn) imports them by name; it finds the same directory through the inherited
environment (SELU_THEORY_CACHE).  Load kernels through ``selu_theory.kernel_loader``,
which checks the files against their manifest before importing them.
"""
from selu_theory import user_cache

__path__ = [str(user_cache.activations_dir())]
