"""Thin Celery tasks for tickets. Reply e-mails and SMS are outbox messages (servicedesk/outbox.py):
the per-area reply sweep that lived here is gone, the outbox sweep delivers them."""
