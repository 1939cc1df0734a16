"""Test-session set-up that must come before anything imports scipy.

scikit-learn's ``check_array_api_input`` runs only when ``SCIPY_ARRAY_API`` is
set, and scipy reads that variable once, when it is first imported. pytest
imports this file (the root ``conftest.py``) before any test module, the
package or its doctests, so ``python -m pytest`` runs those checks without
anything set by hand. A value set by the caller wins.
"""

import os
import sys

if "scipy" not in sys.modules:
    os.environ.setdefault("SCIPY_ARRAY_API", "1")
# Else scipy was imported before this file (a plugin?) without it: setting it
# now would make scikit-learn run its array API checks on a scipy without
# array API support, so leave them skipped, as they were.
