"""The generated kernels of activation 'selu': see ../README.md. Do not edit."""
