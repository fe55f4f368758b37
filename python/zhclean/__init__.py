"""zhclean's per-shard work on Arrow batches, and the Spark job built on it.

The work itself is Rust (``zhclean._core``, the same library as the ``zhclean``
command); this package only moves Arrow batches between it and Spark.
"""

from zhclean._core import SCHEMA_VERSION, SCHEME, Engine, Staging, Totals

__all__ = ["SCHEMA_VERSION", "SCHEME", "Engine", "Staging", "Totals"]
