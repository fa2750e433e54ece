"""Where scenarios run: ``model`` (the reference), ``moto`` (in-process) and ``aws`` (any endpoint)."""
