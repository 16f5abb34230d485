"""Requests that did not become business, confirmed twice, and their analysis (issue 17)."""
