"""The program's copy of the playbook agrees with the playbook's words."""

from __future__ import annotations

from controlplane.playbook import PLAYBOOK
from tests.support.playbook import (
    ALERTS,
    API_SECONDS,
    ESCALATION,
    HEARTBEAT_SECONDS,
    SLO_TARGET,
    WINDOWS,
)


def test_program_playbook_agrees_with_the_copy():
    for slug, (field, threshold, window) in ALERTS.items():
        book = PLAYBOOK.alerts[slug]
        assert (book.slug, book.field, book.threshold, book.window) == (
            slug,
            field,
            threshold,
            window,
        ), slug
        assert PLAYBOOK.alert(field) is book, field
    assert PLAYBOOK.slos["missionCompletion"].min_target == SLO_TARGET
    assert PLAYBOOK.slos["streamingHeartbeat"].max_threshold_seconds == HEARTBEAT_SECONDS
    assert PLAYBOOK.slos["apiLatency"].max_threshold_seconds == API_SECONDS
    assert PLAYBOOK.escalation == ESCALATION
    for env, window in WINDOWS.items():
        day = PLAYBOOK.maintenance[env]
        assert (day.day, day.start, day.end, day.time_zone) == window, env
    assert sorted(PLAYBOOK.maintenance) == ["prod", "staging"]
