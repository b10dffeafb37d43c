"""Supabase project settings and keys as Pulumi dynamic resources (Management API v1).

No maintained Supabase provider exists on PyPI, so the program carries its own. The inputs are
grouped in the sections of Supabase's Terraform ``supabase_settings`` resource, with the
Management API's own key names inside each section, so that moving to that provider later is a
rename:

==================  ==========================================================================
section             endpoint (``{ref}`` is the 20-letter project ref)
==================  ==========================================================================
``sslEnforcement``  ``GET|PUT /projects/{ref}/ssl-enforcement`` (``requestedConfig.database``)
``network``         ``GET /projects/{ref}/network-restrictions``,
                    ``POST /projects/{ref}/network-restrictions/apply``; ``restrictions`` holds
                    IPv4 and IPv6 CIDRs together, as in Terraform, and is split on the wire
``database``        ``GET|PUT /projects/{ref}/config/database/postgres``
``pooler``          ``GET|PATCH /projects/{ref}/config/database/pooler`` (primary database)
``api``             ``GET|PATCH /projects/{ref}/postgrest`` (PostgREST)
``auth``            ``GET|PATCH /projects/{ref}/config/auth``
``pitr``            ``GET|PATCH /projects/{ref}/billing/addons`` with ``addon_type: pitr``,
                    ``DELETE /projects/{ref}/billing/addons/{addon_variant}``; keys
                    ``pitr_enabled`` (as in ``GET /projects/{ref}/database/backups``) and
                    ``addon_variant`` (``pitr_7``, ``pitr_14``, ``pitr_28``)
==================  ==========================================================================

``SupabaseProjectKeys`` reads the service-role key (``GET /projects/{ref}/api-keys?reveal=true``)
and the JWT secret (``GET /projects/{ref}/postgrest``) so they can be stored in Secret Manager.

Semantics (what ``pulumi up/refresh/destroy`` do):

- create reads each managed section first and writes only the keys whose live value differs
  (SSL and Postgres changes restart the database, so no-op writes are avoided); it records the
  values it found (``previousValues``).
- diff reports every changed ``section.key`` path (``SettingsDiffResult.changed_paths``); a new
  ``projectRef`` means replacement; a rotated ``accessToken`` is an update without API writes.
- update writes only the changed keys; a section dropped from the inputs is no longer managed
  and is left as it is.
- read (refresh and import; the id is the project ref) reads the managed keys, or every known key
  on import, and reports drift as ``driftedFields`` plus one warning naming the paths (never the
  values); a project that no longer exists reads as gone.
- delete never deletes the project and by default writes nothing. With ``restoreOnDelete`` it puts
  back ``previousValues`` for the keys this resource set, and only where the live value is still
  the one it set: it never touches a key it did not set, nor one changed since by someone else.

Errors: 401/403/404/409 and other 4xx become one-line ``SupabaseApiError`` messages that say what
to do; 429 (honouring ``Retry-After``), 5xx, timeouts and connection errors are retried with
bounded exponential backoff; a failure part-way through an apply raises
``SupabasePartialApplyError`` naming the sections applied and not applied.

Secrets: the bearer token comes from the ``accessToken`` input (a Pulumi secret) or, when absent
(import), from the stack's secret config ``controlplane:supabaseAccessToken`` handed to
``configure``. It is never stored on the provider object that Pulumi pickles, never logged and
never part of an error message. Keys that carry credentials (``*_secret``, ``*_pass``...) are
refused as inputs.

Modules, one job each:

=====================  =======================================================================
``api``                the HTTP client: session, retries, errors (``SupabaseApiError``)
``sections``           the managed keys per section, value comparison, input checks
``section_io``         reading and writing one section through the API
``provider_base``      what both providers share: HTTP settings, token look-up, diff result
``settings_provider``  the settings provider's check/diff/create/read/update/delete
``keys_provider``      the keys provider's check/diff/create/read/update/delete
``resources``          the dynamic resources ``SupabaseSettings`` and ``SupabaseProjectKeys``
=====================  =======================================================================

The provider classes that resources use, and that the state records by import path, are
defined in ``components/supabase_provider.py`` (see its docstring). The modules here import only
the standard library, ``requests``, ``pulumi`` and each other (``resources`` also imports that
stable module), so that the dynamic provider process, which unpickles the providers, can load
them. This file imports nothing, so that importing the stable module does not import the
resources.
"""
