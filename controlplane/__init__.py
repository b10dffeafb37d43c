"""The kernel every layer shares: naming, the playbook's constants, shared typed fields.

Imports nothing of the project (the import-direction test says so).
"""
