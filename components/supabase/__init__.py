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

- create reads every managed section before its first write, then writes only the keys whose
  live value differs (SSL and Postgres changes restart the database, so no-op writes are
  avoided); the values it found are recorded once, before anything changed (``previousValues``).
- diff reports every changed ``section.key`` path (``SettingsDiffResult.changed_paths``); a new
  ``projectRef`` means replacement; a rotated ``accessToken`` is an update without API writes; an
  apply that stopped part-way (``pendingSections``) is always an update, to finish it.
- update reads the keys it did not manage yet before any write, writes only the changed keys and
  keeps the ``previousValues`` recorded earlier, never re-reading them; a section dropped from the
  inputs is no longer managed and is left as it is.
- ``PUT /projects/{ref}/config/database/postgres`` replaces the project's whole override set, so
  the Postgres section is read, merged and written as the Supabase CLI does it.
- read (refresh and import; the id is the project ref) reads the managed keys, or every known key
  on import, and reports drift as ``driftedFields`` plus one warning naming the paths (never the
  values). Only the project's own 404 (``GET /projects/{ref}``) means it is gone and drops the
  resource; a 404 from any other endpoint is an error and the resource stays.
- delete never deletes the project and by default writes nothing. With ``restoreOnDelete`` it puts
  back ``previousValues`` for the keys this resource set, and only where the live value is still
  the one it set: it never touches a key it did not set, nor one changed since by someone else.
  A DELETE that finds nothing (a retry of one that was applied) has succeeded, and a project
  that no longer exists has nothing to restore.

Where the values to restore live when an apply stops part-way: a dynamic provider's create that
raises loses everything it would have returned. The engine keeps the outputs of a failed Create
only when the provider returns them in an ``ErrorResourceInitFailed`` error detail (the
partial-state mechanism, pulumi/pulumi#1590, ``provider_plugin.go``), and the Python dynamic
provider host of the SDK in use (pulumi 3.272.0, ``pulumi/dynamic/__main__.py``) cannot send one:
it answers every exception with ``context.abort(StatusCode.UNKNOWN, traceback)``. A re-run would
then read the values this provider had already written and record them as the ones to restore.
So once a write may have landed (any failure but an outright 4xx refusal of the first write),
create and update do not raise: they return the outputs, with the values recorded before the first
write, the sections not applied at the values found (``pendingSections``; the section whose write
failed also in ``pendingValues``, so that a delete can restore it if the write did land), and the
error in ``applyError``. The engine checkpoints that state; ``SupabaseSettings`` then raises
``applyError`` in the program (``pulumi.RunError``; the runtime awaits every outstanding output,
``pulumi/runtime/stack.py`` ``wait_for_rpcs``), so ``pulumi up`` still fails with the message.
The next ``pulumi up`` diffs, updates the pending sections and keeps ``previousValues``. Nothing is
kept outside the stack's state, so it works the same on a laptop and on a fresh CI runner.

Errors: 401/403/404/409 and other 4xx become one-line ``SupabaseApiError`` messages that say what
to do and name the endpoint (method and path; ``SupabaseApiError.endpoint`` holds the template,
e.g. ``PATCH /projects/{ref}/config/auth``); 429 (honouring ``Retry-After``), 5xx, timeouts and
connection errors are retried with bounded exponential backoff; every attempt must receive its
whole answer within ``read_timeout`` (an answer trickled byte by byte is cut there) and every
operation must end within ``operation_timeout`` (900 s); an answer that is not JSON or not of the
shape read becomes a ``SupabaseApiError`` naming the endpoint; a failure part-way through an apply
is a ``SupabasePartialApplyError`` message naming the sections applied and not applied.

Secrets: the bearer token comes from the ``accessToken`` input (a Pulumi secret) or, when absent
(import), from the stack's secret config ``controlplane:supabaseAccessToken`` handed to
``configure``. Surrounding whitespace (a pasted trailing newline) is stripped; a token with inner
whitespace or control characters is refused without being quoted. It is never stored on the
provider object that Pulumi pickles, never logged and never part of an error message. Keys that
carry credentials (``*_secret``, ``*_pass``...) are refused as inputs. The fault behaviour, per
endpoint, is in ``docs/supabase-provider.md``.

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
