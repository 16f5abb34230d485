"""Follow-up's seam for other areas (webhooks, integrations).

Sent by followups.services inside the write's transaction, so a receiver's writes commit or roll back
with it. Receivers must be quick and enqueue anything slow on commit.
"""
from django.dispatch import Signal

# A customer answered a survey (counted once). kwargs: response (followups.models.SurveyResponse), now
survey_answered = Signal()
