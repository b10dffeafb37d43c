"""Reading the service-role key and JWT secret of one Supabase project (keys provider logic)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, ReadResult, UpdateResult

from components.supabase.api import SupabaseApiError, unexpected
from components.supabase.provider_base import SettingsDiffResult, SupabaseProviderBase
from components.supabase.sections import check_project_ref, is_unknown, ref_of


class KeysProvider(SupabaseProviderBase):
    """Reads the service-role key and the JWT secret of a project; writes and deletes nothing.

    Resources use the subclass ``components.supabase_provider.SupabaseKeysProvider``, whose
    import path is recorded in the state; never hand this class to a resource directly.
    """

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(dict(news), check_project_ref(news.get("projectRef")))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> SettingsDiffResult:
        paths = [
            key
            for key in ("projectRef", "accessToken")
            if is_unknown(news.get(key)) or olds.get(key) != news.get(key)
        ]
        return SettingsDiffResult(paths, ["projectRef"] if "projectRef" in paths else [])

    def _fetch(self, props: Mapping[str, Any], ref: str) -> dict[str, Any]:
        outs = self._fetch_or_gone(props, ref)
        if outs is None:
            raise SupabaseApiError(
                f"Supabase project {ref} not found (404 on GET /projects/{ref}): check "
                "supabase.projectRef in the stack config",
                404,
                "GET /projects/{ref}",
            )
        return outs

    def _fetch_or_gone(self, props: Mapping[str, Any], ref: str) -> dict[str, Any] | None:
        """The outputs, or ``None`` when the project itself is gone (its own 404)."""
        api = self._api(props, ref)
        keys_path = f"/projects/{ref}/api-keys?reveal=true"
        postgrest_path = f"/projects/{ref}/postgrest"
        try:
            try:
                keys = api.request("GET", keys_path) or []
                postgrest = api.request("GET", postgrest_path) or {}
            except SupabaseApiError as err:
                if err.status != 404:
                    raise
                if self.project_gone(api, ref):
                    return None
                raise SupabaseApiError(
                    f"{err}; project {ref} itself exists, so the keys stay in the state: "
                    "re-run later",
                    404,
                    err.endpoint,
                ) from None
        finally:
            api.close()
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise unexpected(api, "GET", keys_path, "expected a list of API keys")
        if not isinstance(postgrest, dict):
            raise unexpected(api, "GET", postgrest_path, "expected an object")
        service = next((k for k in keys if k.get("name") == "service_role"), None)
        if service is None:
            service = next((k for k in keys if k.get("type") == "secret"), None)
        if service is None or not service.get("api_key"):
            raise SupabaseApiError(
                f"Supabase project {ref} lists no service_role or secret API key: create one in "
                "the dashboard (Settings > API Keys)"
            )
        if not isinstance(service["api_key"], str):
            raise unexpected(api, "GET", keys_path, "api_key is not a string")
        jwt_secret = postgrest.get("jwt_secret")
        if not jwt_secret:
            raise SupabaseApiError(
                f"Supabase GET /projects/{ref}/postgrest returned no jwt_secret: the project "
                "uses signing keys only; store the key that the agent verifies instead"
            )
        if not isinstance(jwt_secret, str):
            raise unexpected(api, "GET", postgrest_path, "jwt_secret is not a string")
        outs: dict[str, Any] = {"projectRef": ref}
        if props.get("accessToken"):
            outs["accessToken"] = props["accessToken"]
        outs["serviceRoleKey"] = service["api_key"]
        outs["jwtSecret"] = jwt_secret
        return outs

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref = ref_of(props)
        return CreateResult(ref, self._fetch(props, ref))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ref = ref_of(props, id_)
        outs = self._fetch_or_gone(props, ref)
        if outs is None:
            return ReadResult(None, {})
        rotated = [k for k in ("serviceRoleKey", "jwtSecret") if k in props and props[k] != outs[k]]
        if rotated:
            pulumi.log.warn(
                f"supabase keys of project {ref} changed since the last read: "
                f"{', '.join(rotated)}; `pulumi up` stores the new values"
            )
        return ReadResult(ref, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._fetch(news, ref_of(news, id_)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to delete: the keys belong to the project, which is never deleted."""
