"""The generated kernels of activation 'relu': see ../README.md. Do not edit."""
