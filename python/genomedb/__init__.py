"""GenomeDB in Python: a store read in-process through libgenomedb.so,
without a mount. See docs/PYTHON.md.

    import genomedb
    s = genomedb.open("lab.gdb")
    s.assembly("ecoli").fetch("NC_000913.3", 1001, 2000)
"""
from .store import Assembly, Graph, Store, Variants, open  # noqa: F401
from . import frame  # noqa: F401  (registers the pandas accessor)
from .frame import Sequences  # noqa: F401
from ._lib import trim  # noqa: F401

__all__ = ["open", "Store", "Assembly", "Graph", "Variants", "Sequences", "trim"]
