"""Re-exports of :mod:`tests.support.observability` for tests outside tests/components.

tests/config/test_observability.py and tests/policies/alerting/test_shapes.py still import
from here; once they import :mod:`tests.support.observability`, delete this module.
"""

from tests.support.observability import EXAMPLES, example, run_observability, sections

__all__ = ["EXAMPLES", "example", "run_observability", "sections"]
