"""The typed stack configuration: pydantic models only, one module per config key.

Imports the kernel (``controlplane``) and nothing else of the project; composed into the whole
stack's model in ``config/stack.py``.
"""
