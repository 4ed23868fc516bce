"""Trusted checks that hidden tests call; one module per assignment."""
