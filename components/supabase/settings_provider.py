"""CRUD of the settings sections of one Supabase project (the settings provider's logic)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ReadResult, UpdateResult

from components.supabase.api import TOKEN_CONFIG_KEY, SupabaseApiError, SupabasePartialApplyError
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

_COMPUTED = ("previousValues", "driftedFields")


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
        replaces = ["projectRef"] if "projectRef" in paths else []
        return SettingsDiffResult(paths, replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref = ref_of(props)
        desired = managed_sections(props)
        api = self._api(props)
        applied: list[str] = []
        previous: dict[str, dict[str, Any]] = {}
        try:
            for section, values in desired.items():
                try:
                    live = read_section(api, ref, section)
                    previous[section] = {k: live.get(k) for k in values}
                    changes = changed_keys(section, values, live)
                    if changes:
                        write_section(api, ref, section, changes, live, values)
                except SupabaseApiError as err:
                    raise _partial("create", ref, applied, list(desired), section, err) from None
                applied.append(section)
        finally:
            api.close()
        pulumi.log.info(f"supabase settings applied to project {ref}: {', '.join(applied)}")
        return CreateResult(ref, self._outs(ref, props, desired, previous, []))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        ref = ref_of(news, id_)
        desired = managed_sections(news)
        current = managed_sections(olds)
        old_previous = olds.get("previousValues") or {}
        previous: dict[str, dict[str, Any]] = {}
        api = self._api(news)
        applied: list[str] = []
        pending = [s for s in desired if changed_keys(s, desired[s], current.get(s, {}))]
        try:
            for section, values in desired.items():
                kept = dict(old_previous.get(section) or {})
                known = current.get(section, {})
                changes = changed_keys(section, values, known)
                new_keys = [k for k in values if k not in known]
                try:
                    live = dict(known)
                    if new_keys:
                        live = read_section(api, ref, section)
                        kept.update({k: live.get(k) for k in new_keys})
                        changes = changed_keys(section, values, {**live, **known})
                    if changes:
                        write_section(api, ref, section, changes, live, values)
                except SupabaseApiError as err:
                    raise _partial("update", ref, applied, pending, section, err) from None
                previous[section] = {k: v for k, v in kept.items() if k in values}
                if section in pending:
                    applied.append(section)
        finally:
            api.close()
        if applied:
            pulumi.log.info(f"supabase settings updated on project {ref}: {', '.join(applied)}")
        return UpdateResult(self._outs(ref, news, desired, previous, []))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ref = ref_of(props, id_)
        managed = managed_sections(props)
        importing = not managed
        if importing:
            managed = {s: dict.fromkeys(SECTION_KEYS[s]) for s in SECTION_ORDER}
        api = self._api(props)
        live_sections: dict[str, dict[str, Any]] = {}
        drifted: list[str] = []
        try:
            for section, values in managed.items():
                try:
                    live = read_section(api, ref, section)
                except SupabaseApiError as err:
                    if err.status == 404:
                        return ReadResult(None, {})
                    raise
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
        ours = managed_sections(props)
        api = self._api(props)
        restored: list[str] = []
        skipped: list[str] = []
        try:
            for section, values in ours.items():
                recorded = previous.get(section)
                if not isinstance(recorded, dict):
                    continue
                # As the state hands them back: numbers are floats (15.0), which the API refuses
                # for integer keys, and null values are left out, so a nullable key this
                # resource set that is missing here was null before it.
                recorded = plain(recorded)
                before = {
                    k: recorded.get(k) for k in values if k in recorded or nullable(section, k)
                }
                if not before:
                    continue
                live = read_section(api, ref, section)
                back = {}
                for key, old_value in before.items():
                    if not same(section, key, values[key], live.get(key)):
                        skipped.append(f"{section}.{key}")
                    elif not same(section, key, old_value, live.get(key)):
                        back[key] = old_value
                if back:
                    write_section(api, ref, section, back, live, {**values, **before})
                    restored += [f"{section}.{k}" for k in back]
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
        "Re-run `pulumi up` to finish (applied sections are re-read, not re-written)."
    )
