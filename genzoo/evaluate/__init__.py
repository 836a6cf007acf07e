"""Evaluation: feature networks, sample-quality metrics, likelihood estimators, and the suite that runs them.

The package is also the function ``genzoo.evaluate(...)`` (:func:`genzoo.evaluate.suite.evaluate`): importing any
module of this package makes Python set the attribute ``genzoo.evaluate`` to the package, so the package answers
the call.
"""

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from genzoo.evaluate.suite import evaluate

        return evaluate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
