"""The policy pack driven as the Pulumi CLI drives it: its config (``config``), the snapshot's
resources as the engine marshals them (``snapshot``), the pack process and the Analyzer
protocol (``host``) and what an analysis reports (``results``)."""
