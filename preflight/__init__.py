"""Offline previews, checks and evidence of the control plane's Pulumi programs."""

import os

# gRPC's fork handlers (pthread_atfork) let a child started with fork+exec while a call is in
# flight print "epoll_wait error: Bad file descriptor" on its own stderr before it execs
# (grpc/grpc#13873); preflight never uses gRPC in a forked child, it only starts programs (git,
# pulumi, checkov) beside the running policy pack, so the handlers are switched off.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
