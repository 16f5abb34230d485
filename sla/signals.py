"""SLA's seam for other areas (webhooks, integrations).

Sent by sla.services.sla_sweep inside each batch's transaction, once per batch and only when the batch
breached something, so a receiver's writes commit or roll back with the breach. Receivers must be
set-based (one query, bulk inserts): a catch-up batch can hold hundreds of breaches.
"""
from django.dispatch import Signal

# Clocks newly breached in one sweep batch (each with .ticket loaded, .breached_at set). kwargs: clocks, now
clocks_breached = Signal()
