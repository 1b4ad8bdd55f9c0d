"""The generated kernels of activation 'celu': see ../README.md. Do not edit."""
