"""The generated kernels of activation 'serlu': see ../README.md. Do not edit."""
