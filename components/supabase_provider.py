"""The Supabase dynamic providers under their stable import path (part of the state contract).

Pulumi stores each dynamic resource's provider in the stack's state as a dill pickle, and that
pickle names the provider class by module path and qualified name:
``components.supabase_provider.SupabaseSettingsProvider`` and
``components.supabase_provider.SupabaseKeysProvider``. For every ``pulumi refresh`` and
``pulumi destroy``, the provider host (``python -m pulumi.dynamic``, run in the project
directory) imports this module to unpickle them. Renaming or moving either class, or this
module, breaks refresh and destroy of every deployed stack.

So the two classes are *defined* here, and only here, as thin subclasses of the code in
``components/supabase/`` (``SettingsProvider``, ``KeysProvider``). Both the pickles already in
deployed state and the ones the program writes today name this one path, so the implementation
can move freely inside the package: this module only has to import it from its new place.
Re-exporting package-defined classes from here instead would keep old state loadable, but new
pickles would then name the package's path and tie every later move of the code to state too.

``tests/supabase/test_provider_pickles.py`` loads the pickles recorded from release 0.1.0 as the
provider host does, and fails when a provider pickle names any other path.

This module imports only the standard library, ``requests``, ``pulumi`` and
``components.supabase`` (which imports nothing else of the project) so that the provider host
can load it.
"""

from __future__ import annotations

from components.supabase.keys_provider import KeysProvider
from components.supabase.sections import SECTION_KEYS  # importable here, as in release 0.1.0
from components.supabase.settings_provider import SettingsProvider

__all__ = ["SECTION_KEYS", "SupabaseKeysProvider", "SupabaseSettingsProvider"]


class SupabaseSettingsProvider(SettingsProvider):
    """CRUD for the settings sections of one Supabase project (id = project ref)."""


class SupabaseKeysProvider(KeysProvider):
    """Reads the service-role key and the JWT secret of a project; writes and deletes nothing."""
