"""The control plane's CrossGuard policy pack (see docs/policies.md).

One policy per module, grouped by area (``iam``, ``credentials``, ``encryption``, ``storage``,
``datasafety``, ``audit``, ``labels``); the shared machinery lives in ``policies._lib``. The pack
reads plain property dicts only: it imports neither a provider SDK nor the program (``stacks``,
``components``), so it can check the program without trusting it.
"""
