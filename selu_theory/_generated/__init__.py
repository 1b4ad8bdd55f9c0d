"""Generated kernels: see README.md here. Do not edit."""
