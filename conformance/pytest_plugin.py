"""pytest plugin placeholder (the REPORTS + PYTEST PLUGIN engineer replaces this file)."""
