"""The control plane's CrossGuard policy pack (see docs/policies.md).

One policy per module, grouped by area (``iam``, ``credentials``, ``encryption``, ``storage``,
``datasafety``, ``audit``, ``labels``, ``alerting``, ``changes``); the shared machinery lives in
``policies._lib``, and the pack's own copy of the playbook's alerting and calendar numbers in
``policies._lib.playbook``. The pack
reads plain property dicts only: it imports neither a provider SDK nor the program (``stacks``,
``components``), so it can check the program without trusting it.
"""
