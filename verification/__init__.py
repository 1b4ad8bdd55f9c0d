"""verification: the proofs — claims registry, box engine, certificates, independent
checker, reports and the ``selu-verify`` command line."""
