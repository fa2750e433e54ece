"""One module per ``kms-conformance`` subcommand: ``register(subparsers)`` sets ``func``."""
