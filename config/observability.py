"""Playbook §1, §4, §9, §12: the observability keys of the stack config together.

Each key's model lives in its own module:

- ``controlplane:monitoring`` (:class:`config.monitoring.MonitoringSection`): metric names, the
  threshold and window of every §4 alert, the team tag, the synthetic checks;
- ``controlplane:slos`` (:class:`config.slos.SlosSection`): the §1 objectives and their
  burn-rate alerts;
- ``controlplane:oncall`` (:class:`config.oncall.OnCallSection`): PagerDuty rotations,
  escalation, urgency;
- ``controlplane:routing`` (:class:`config.routing.RoutingSection`): where each severity is
  notified;
- ``controlplane:security`` (:class:`config.security.SecuritySection`): the §1/§12 security route
  and the §5 severity levels;
- ``controlplane:maintenanceWindow`` (:class:`config.maintenance_window.MaintenanceWindowSection`):
  the §9 window.

Scales, chosen once for the whole program: rates are ratios from 0 to 1 (``0.97`` is 97 %),
latencies and durations are seconds, SLO targets are percentages (Datadog's ``(0, 100)``),
evaluation windows are ``<n>m``, ``<n>h`` or ``<n>d``.

The playbook's numbers live in :data:`controlplane.playbook.PLAYBOOK`. A config may be stricter
than the playbook but never looser; the validators say which key, what was found and what to
write instead. :meth:`ObservabilitySections.env_rules` holds the rules that span keys (dev's
paging needs support hours) or concern a key that may be missing (the §9 window).
"""

from __future__ import annotations

from pydantic import Field

from config.base import Model, Problem
from config.maintenance_window import MaintenanceWindowSection
from config.monitoring import MonitoringSection
from config.oncall import OnCallSection
from config.routing import RoutingSection
from config.security import SecuritySection
from config.slos import SlosSection
from controlplane.playbook import PLAYBOOK, SEVERITIES

OBSERVABILITY_KEYS = ("monitoring", "slos", "oncall", "routing", "security", "maintenanceWindow")
"""The ``controlplane:<key>`` keys composed here."""
SECURITY_ENVIRONMENTS = ("prod",)
"""Environments that must declare the security route (``controlplane:security``)."""


class ObservabilitySections(Model):
    """The observability keys of one stack (each optional key has playbook defaults)."""

    monitoring: MonitoringSection = Field(
        MonitoringSection(), description="Datadog monitors and synthetics (playbook §3, §4)."
    )
    slos: SlosSection = Field(SlosSection(), description="SLOs of playbook §1.")
    oncall: OnCallSection = Field(description="PagerDuty schedules and escalation (§4, §12).")
    routing: RoutingSection = Field(description="Notification targets per severity (§4).")
    security: SecuritySection | None = Field(
        None,
        description="Security route, §12 contacts and §5 severity levels; required in prod.",
    )
    maintenance_window: MaintenanceWindowSection | None = Field(
        None, description="Weekly maintenance window (§9); required in staging and prod."
    )

    def env_rules(self, env: str) -> list[Problem]:
        """Environment rules across the observability keys; an empty list means none is broken."""
        problems = [p.under("routing") for p in self.routing.env_rules(env)]
        routing = self.routing
        if env not in ("staging", "prod") and self.oncall.support_hours is None:
            paging = [s for s in SEVERITIES if routing.pages(s)]
            if paging:
                problems.append(
                    Problem.found(
                        "oncall.supportHours",
                        f"none while routing.{paging[0]} pages PagerDuty in {env}",
                        "support hours (e.g. days [1, 2, 3, 4, 5], start 09:00, end 18:00): dev "
                        "must not page anyone at night, so outside support hours its incidents "
                        "are low urgency",
                    )
                )
        if env in SECURITY_ENVIRONMENTS and self.security is None:
            problems.append(
                Problem.found(
                    "security",
                    "none",
                    f"the security route in {env} (playbook §1, §12: security alerts page the "
                    "Security Lead first; see docs/config.md, controlplane:security)",
                )
            )
        book = PLAYBOOK.maintenance.get(env)
        window = self.maintenance_window
        if book is not None:
            expected = f"{book.describe()} for {env} (playbook §9: {book.quote!r})"
            if window is None:
                problems.append(Problem.found("maintenanceWindow", "none", expected))
            elif (window.day, window.start, window.end, window.time_zone) != (
                book.day,
                book.start,
                book.end,
                book.time_zone,
            ):
                problems.append(Problem.found("maintenanceWindow", window.describe(), expected))
        return problems
