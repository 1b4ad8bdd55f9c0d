"""The generated kernels of activation 'elu': see ../README.md. Do not edit."""
