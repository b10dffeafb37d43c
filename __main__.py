"""The control-plane environment program: load the stack's typed config, build, export."""

import pulumi

from config import stack as config
from stacks.environment import build_environment

outputs = build_environment(config.load())
for key, value in outputs.items():
    pulumi.export(key, value)
