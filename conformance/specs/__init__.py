"""Executable specifications: one module per source page (see ``kms_conformance.rules.SPEC_MODULES``)."""
