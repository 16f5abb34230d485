"""The PDCA register of improvement actions (issue 17)."""
