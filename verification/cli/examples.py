"""Examples at the end of every subcommand's ``--help``, for the command modules that do
not set their own epilog (the claims group writes its own).  build_parser applies them."""
from __future__ import annotations

import argparse

EXAMPLES = {
    "bound": ["selu-verify bound S --below 1",
              "selu-verify bound 'nu_tilde - nu' --max --domain nu=0.8:1.5,tau=0.95:1.1",
              "selu-verify names    # every name an expression may use, with its meaning"],
    "paper-grid": ["selu-verify paper-grid lemma43 --scale 8 --workers 2    # quick",
                   "selu-verify paper-grid lemma12"],
    "grid": ["selu-verify grid S --below 1 --steps mu=0.02,omega=0.02,nu=0.05,tau=0.05",
             "selu-verify grid mu_tilde --max --steps mu=0.01,omega=0.01,nu=0.01,tau=0.01"],
    "params": ["selu-verify params --fixed-point 0 1    # alpha01, lambda01",
               "selu-verify params --fixed-point 0.1 1.2 --digits 20"],
    "theorems": ["selu-verify theorems --fixed-point 0 1",
                 "selu-verify theorems --alpha 1.7 --lambda 1.05 --workers 2"],
    "domain": ["selu-verify domain --theorems 1 --variables nu,tau",
               "selu-verify domain --plot domain.png"],
    "compare": ["selu-verify compare --in-process --activations selu,elu",
                "selu-verify compare --parts params --plot compare.png"],
    "network": ["selu-verify network --init pytorch:kaiming_normal:selu --fan-in 512",
                "selu-verify network --init keras:lecun_normal --fan-in 64 --simulate",
                "selu-verify network --init normal:1 --fan-in 1 --dropout alpha --rates 0,0.1"],
    "atlas": ["selu-verify atlas --in-process --no-domain",
              "selu-verify atlas --mu=-0.2:0.2:3 --nu 0.5:2:3 --in-process"],
}


def epilog(name: str) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES[name])


def add_examples(choices: dict) -> None:
    """Give each subparser without an epilog its examples (kept as written)."""
    for name, parser in choices.items():
        if not parser.epilog and name in EXAMPLES:
            parser.epilog = epilog(name)
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
