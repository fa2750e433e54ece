"""Executable specifications: one module per source page (see ``conformance.rules.SPEC_MODULES``)."""
