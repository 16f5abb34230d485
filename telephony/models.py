"""Calls the phone system tells us about: the front desk's caller card (来电弹屏) and the call's log."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Call(models.Model):
    """One incoming call, from "ringing at extension 8001" to "ended after 192 s".

    ``call_id`` is the phone system's own id: a repeated "ringing" or "ended" for it changes this row,
    never makes a second one (the exchange retries when our answer is slow). The caller's card is
    shown to ``user`` — the person whose profile holds the extension when it rang — until they log
    the call (``contact``) or dismiss the card.
    """

    call_id = models.CharField(_("call id"), max_length=64, unique=True)
    extension = models.CharField(_("extension"), max_length=20)
    caller_raw = models.CharField(_("caller number as sent"), max_length=40, blank=True)
    caller_e164 = models.CharField(_("caller number"), max_length=20, blank=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("shown to"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    rang_at = models.DateTimeField(_("rang at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    contact = models.OneToOneField("customers.Contact", verbose_name=_("logged as"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="call")
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-rang_at"]
        indexes = [
            # The pop-up's question, "my newest call still waiting for me": a partial index over the few
            # calls neither logged nor dismissed.
            models.Index(fields=["user", "-rang_at"], name="call_pending_idx",
                         condition=models.Q(contact__isnull=True, dismissed_at__isnull=True)),
            models.Index(fields=["-rang_at"], name="call_rang_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("rang_at")),
                                   name="call_ends_after_ring"),
        ]

    def __str__(self):
        return f"{self.caller_e164 or self.caller_raw} → {self.extension}"

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None
