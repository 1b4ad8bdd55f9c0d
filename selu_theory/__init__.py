"""selu-theory: the mathematics of the SELU moment map (symbolic forms, constants,
generated kernels, fixed points).  The proofs live in the ``verification`` package."""

__version__ = "0.1.0"
