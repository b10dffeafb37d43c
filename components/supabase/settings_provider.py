"""CRUD of the settings sections of one Supabase project (the settings provider's logic)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ReadResult, UpdateResult

from components.supabase.api import (
    TOKEN_CONFIG_KEY,
    ApiSession,
    SupabaseApiError,
    SupabasePartialApplyError,
)
from components.supabase.provider_base import SettingsDiffResult, SupabaseProviderBase
from components.supabase.section_io import read_section, write_section
from components.supabase.sections import (
    SECTION_KEYS,
    SECTION_ORDER,
    changed_keys,
    check_project_ref,
    check_section,
    is_unknown,
    managed_sections,
    nullable,
    plain,
    ref_of,
    same,
)

_COMPUTED = ("previousValues", "driftedFields", "pendingSections", "pendingValues", "applyError")


@dataclass
class _Failure:
    """Where an apply stopped after it may have changed something."""

    section: str
    applied: list[str]
    wanted: list[str]
    error: SupabaseApiError | None
    """``None``: the apply completed."""


def changed_paths(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Every input path that differs between ``olds`` and ``news``, in apply order; no values."""
    paths: list[str] = []
    for key in ("projectRef", "accessToken"):
        if is_unknown(news.get(key)) or olds.get(key) != news.get(key):
            paths.append(key)
    if bool(olds.get("restoreOnDelete")) != bool(news.get("restoreOnDelete")):
        paths.append("restoreOnDelete")
    old_sections, new_sections = managed_sections(olds), managed_sections(news)
    for section in SECTION_ORDER:
        if not isinstance(news.get(section), dict) and is_unknown(news.get(section)):
            paths.append(section)  # the whole section is computed: any of its keys may change
            continue
        old = old_sections.get(section, {})
        new = new_sections.get(section, {})
        for key in sorted(set(old) | set(new)):
            missing = key not in old or key not in new
            if missing or is_unknown(new[key]) or not same(section, key, old[key], new[key]):
                paths.append(f"{section}.{key}")
    return paths


class SettingsProvider(SupabaseProviderBase):
    """CRUD for the settings sections of one Supabase project (id = project ref).

    Resources use the subclass ``components.supabase_provider.SupabaseSettingsProvider``, whose
    import path is recorded in the state; never hand this class to a resource directly.
    """

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {k: plain(v) for k, v in news.items()}
        failures = check_project_ref(inputs.get("projectRef"))
        if not inputs.get("accessToken") and not self.__dict__.get("_configured_token"):
            failures.append(
                CheckFailure(
                    "accessToken",
                    "no Supabase access token: set it with "
                    f"`pulumi config set --secret {TOKEN_CONFIG_KEY} <token>`",
                )
            )
        allowed_top = {"projectRef", "accessToken", "restoreOnDelete", "__provider"}
        allowed_top |= set(SECTION_ORDER) | set(_COMPUTED)
        for key in sorted(set(inputs) - allowed_top):
            failures.append(
                CheckFailure(
                    key,
                    f"{key} is not a settings section; use one of: {', '.join(SECTION_ORDER)}",
                )
            )
        for section in SECTION_ORDER:
            value = inputs.get(section)
            if value is None or is_unknown(value):
                continue
            if not isinstance(value, dict):
                failures.append(CheckFailure(section, f"{section} must be a mapping of API keys"))
                continue
            failures.extend(check_section(section, value))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> SettingsDiffResult:
        paths = changed_paths(olds, news)
        if olds.get("applyError") or olds.get("pendingSections"):
            paths.append("pendingSections")  # the last apply stopped part-way: finish it
        replaces = ["projectRef"] if "projectRef" in paths else []
        return SettingsDiffResult(paths, replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref = ref_of(props)
        desired = managed_sections(props)
        api = self._api(props, ref)
        try:
            # Capture first: every managed section is read before the first write, so the values
            # to restore are the ones found before this resource changed anything.
            live = self._read_all(api, ref, desired, "create")
            previous = {s: {k: live[s].get(k) for k in values} for s, values in desired.items()}
            known = {s: {k: live[s].get(k) for k in values} for s, values in desired.items()}
            failure = self._apply(api, ref, desired, known, live, "create")
        finally:
            api.close()
        outs = self._finish("create", ref, props, desired, known, previous, failure)
        return CreateResult(ref, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        ref = ref_of(news, id_)
        desired = managed_sections(news)
        current = managed_sections(olds)
        old_previous = olds.get("previousValues") or {}
        api = self._api(news, ref)
        try:
            # Capture first, as in create: keys this resource did not manage yet are read before
            # any write; the values recorded earlier are kept, never read again.
            unread = {
                s: values
                for s, values in desired.items()
                if any(k not in current.get(s, {}) for k in values)
            }
            live = self._read_all(api, ref, unread, "update")
            previous: dict[str, dict[str, Any]] = {}
            known: dict[str, dict[str, Any]] = {}
            base: dict[str, dict[str, Any]] = {}
            for section, values in desired.items():
                kept = dict(old_previous.get(section) or {})
                seen = {**live.get(section, {}), **current.get(section, {})}
                kept.update({k: seen.get(k) for k in values if k not in current.get(section, {})})
                previous[section] = {k: v for k, v in kept.items() if k in values}
                known[section] = {k: seen.get(k) for k in values}
                base[section] = seen
            failure = self._apply(api, ref, desired, known, base, "update")
        finally:
            api.close()
        return UpdateResult(self._finish("update", ref, news, desired, known, previous, failure))

    def _read_all(
        self, api: ApiSession, ref: str, sections: Mapping[str, Any], verb: str
    ) -> dict[str, dict[str, Any]]:
        """The live values of ``sections``, read before any write (a failure changed nothing)."""
        live: dict[str, dict[str, Any]] = {}
        for section in sections:
            try:
                live[section] = read_section(api, ref, section)
            except SupabaseApiError as err:
                raise _partial(verb, ref, [], list(sections), section, err) from None
        return live

    def _apply(
        self,
        api: ApiSession,
        ref: str,
        desired: Mapping[str, dict[str, Any]],
        known: dict[str, dict[str, Any]],
        base: Mapping[str, dict[str, Any]],
        verb: str,
    ) -> _Failure:
        """Write each section's changed keys; ``known`` is updated as sections are applied.

        Returns what was applied and what stopped the apply (``error`` is ``None`` if nothing
        did). Raises only when nothing can have changed: the first write attempted was refused
        outright (4xx) and none came before it.
        """
        wanted = list(desired)
        if verb == "update":  # an update names only the sections it changes
            wanted = [s for s in desired if changed_keys(s, desired[s], known[s])]
        written = False
        applied: list[str] = []
        for section, values in desired.items():
            changes = changed_keys(section, values, known[section])
            try:
                if changes:
                    write_section(api, ref, section, changes, base[section], values)
            except SupabaseApiError as err:
                definite = err.status is not None and 400 <= err.status < 500
                if not written and definite:
                    raise _partial(verb, ref, applied, wanted, section, err) from None
                return _Failure(section, applied, wanted, err)
            written = written or bool(changes)
            known[section] = dict(values)
            if section in wanted:
                applied.append(section)
        return _Failure("", applied, wanted, None)

    def _finish(
        self,
        verb: str,
        ref: str,
        props: Mapping[str, Any],
        desired: Mapping[str, dict[str, Any]],
        known: Mapping[str, dict[str, Any]],
        previous: Mapping[str, dict[str, Any]],
        failure: _Failure,
    ) -> dict[str, Any]:
        outs = self._outs(ref, props, known, previous, [])
        if failure.error is None:
            done = "applied to" if verb == "create" else "updated on"
            if failure.applied:
                pulumi.log.info(
                    f"supabase settings {done} project {ref}: {', '.join(failure.applied)}"
                )
            return outs
        error = _partial(verb, ref, failure.applied, failure.wanted, failure.section, failure.error)
        pending = [s for s in failure.wanted if s not in failure.applied]
        outs["pendingSections"] = pending
        # The section whose write failed may have been applied (a timeout, a 5xx): what it
        # would have set is kept so that a delete can still restore it.
        outs["pendingValues"] = {failure.section: dict(desired[failure.section])}
        outs["applyError"] = str(error)
        pulumi.log.error(str(error))
        return outs

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ref = ref_of(props, id_)
        managed = managed_sections(props)
        importing = not managed
        if importing:
            managed = {s: dict.fromkeys(SECTION_KEYS[s]) for s in SECTION_ORDER}
        api = self._api(props, ref)
        live_sections: dict[str, dict[str, Any]] = {}
        drifted: list[str] = []
        try:
            for section, values in managed.items():
                try:
                    live = read_section(api, ref, section)
                except SupabaseApiError as err:
                    if err.status != 404:
                        raise
                    if self.project_gone(api, ref):
                        return ReadResult(None, {})
                    raise SupabaseApiError(
                        f"{err}; project {ref} itself exists, so the resource stays in the "
                        "state: re-run the refresh later",
                        404,
                        err.endpoint,
                    ) from None
                live_sections[section] = {k: live.get(k) for k in values}
                if not importing:
                    drifted += [
                        f"{section}.{k}"
                        for k in values
                        if not same(section, k, values[k], live.get(k))
                    ]
        finally:
            api.close()
        if drifted:
            pulumi.log.warn(
                f"supabase settings of project {ref} drifted from the last apply: "
                f"{', '.join(drifted)}; `pulumi up` puts them back"
            )
        previous = props.get("previousValues") or {}
        outs = self._outs(ref, props, live_sections, previous, drifted)
        if importing:
            outs.pop("accessToken", None)
            inputs = {"projectRef": ref, **live_sections}
            return ReadResult(ref, outs, inputs)
        return ReadResult(ref, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        ref = ref_of(props, id_)
        if not props.get("restoreOnDelete"):
            pulumi.log.info(
                f"supabase settings of project {ref} left as applied (restoreOnDelete is off); "
                "the project itself is never deleted"
            )
            return
        previous = props.get("previousValues") or {}
        pending_values = plain(props.get("pendingValues") or {})
        ours = managed_sections(props)
        api = self._api(props, ref)
        restored: list[str] = []
        skipped: list[str] = []
        section = ""
        try:
            for section, values in ours.items():
                recorded = previous.get(section)
                if not isinstance(recorded, dict):
                    continue
                # As the state hands them back: numbers are floats (15.0), which the API refuses
                # for integer keys, and null values are left out, so a nullable key this
                # resource set that is missing here was null before it.
                recorded = plain(recorded)
                # A Postgres override that was not set is put back by leaving it out.
                before = {
                    k: recorded.get(k)
                    for k in values
                    if k in recorded or nullable(section, k) or section == "database"
                }
                if not before:
                    continue
                # A write that failed may still have landed: what it would have set counts too.
                maybe = pending_values.get(section) or {}
                live = read_section(api, ref, section)
                back = {}
                for key, old_value in before.items():
                    now = live.get(key)
                    ours_now = same(section, key, values[key], now)
                    if not ours_now and key in maybe:
                        ours_now = same(section, key, maybe[key], now)
                    if not ours_now:
                        if not same(section, key, old_value, now):
                            skipped.append(f"{section}.{key}")
                    elif not same(section, key, old_value, now):
                        back[key] = old_value
                if back:
                    write_section(api, ref, section, back, live, {**values, **before})
                    restored += [f"{section}.{k}" for k in back]
        except SupabaseApiError as err:
            if err.status == 404 and self.project_gone(api, ref):
                pulumi.log.info(f"supabase project {ref} no longer exists: nothing to restore")
                return
            raise SupabaseApiError(
                f"supabase settings delete on project {ref} stopped at section {section}: "
                f"{err}. Restored: {', '.join(restored) or 'none'}. Re-run `pulumi destroy` to "
                "finish (restored values are re-read, not re-written).",
                err.status,
                err.endpoint,
            ) from None
        finally:
            api.close()
        message = f"supabase settings of project {ref}: restored {', '.join(restored) or 'none'}"
        if skipped:
            message += f"; left alone (changed since this resource set them): {', '.join(skipped)}"
        pulumi.log.info(message)

    @staticmethod
    def _outs(
        ref: str,
        props: Mapping[str, Any],
        sections: Mapping[str, dict[str, Any]],
        previous: Mapping[str, Any],
        drifted: list[str],
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {"projectRef": ref}
        if props.get("accessToken"):
            outs["accessToken"] = props["accessToken"]
        outs["restoreOnDelete"] = bool(props.get("restoreOnDelete"))
        outs.update({name: dict(values) for name, values in sections.items()})
        outs["previousValues"] = {k: dict(v) for k, v in previous.items() if k in sections}
        outs["driftedFields"] = list(drifted)
        return outs


def _partial(
    verb: str, ref: str, applied: list[str], wanted: list[str], failed: str, err: Exception
) -> SupabasePartialApplyError:
    not_applied = [s for s in wanted if s not in applied]
    return SupabasePartialApplyError(
        f"supabase settings {verb} on project {ref} stopped at section {failed}: {err}. "
        f"Applied: {', '.join(applied) or 'none'}; not applied: {', '.join(not_applied)}. "
        "Re-run `pulumi up` to finish (applied sections are re-read, not re-written).",
        getattr(err, "status", None),
        getattr(err, "endpoint", None),
    )
