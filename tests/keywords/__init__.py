"""Keyword tests: definition, compilers, matcher, editing, CLI, reload."""
