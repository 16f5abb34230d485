"""Service contracts, renewal reminders and customer care dates (issue 17)."""
