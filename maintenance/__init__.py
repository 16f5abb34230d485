"""Maintenance plans and the visits they create (issue 17)."""
