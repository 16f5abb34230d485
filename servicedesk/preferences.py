"""Who hears what, how, and in which language (issue 11, items 4 and 6).

* Kinds of notification, and per kind a channel: bell, e-mail, both, or the daily digest. A person's
  own choice (NotificationPreference) wins; else their role's default; else the kind's default.
* Each person's language (StaffProfile.language, set by the language switch): every message written to
  them — bell, e-mail, digest, report e-mail — is rendered under `translation.override(language)`.
  Callers therefore pass the *untranslated* text (gettext_lazy / ngettext_lazy) and its params as a
  `Message`, never a string already formatted in the sender's language.
* A group key per notification, so the bell shows one line per ticket (or per other thing).

servicedesk.services.notify_many calls `notification_rows`; nothing here writes.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import roles
from .bulk import build
from .models import Notification, NotificationChannel, NotificationPreference, StaffProfile

C = NotificationChannel

# kind -> (label, roles that receive it, default channel). Order = order on the preferences page.
KINDS: dict[str, tuple] = {
    "sla_warning": (_("SLA warning: a deadline is near"), {roles.AGENT, roles.SUPERVISOR}, C.BELL),
    "sla_breach": (_("SLA breached (level 1 escalation)"), {roles.SUPERVISOR}, C.BOTH),
    "sla_level2": (_("SLA far overdue (level 2 escalation)"), {roles.MANAGER}, C.BOTH),
    "job_offer": (_("A job offered or assigned to me"), {roles.TECHNICIAN}, C.BOTH),
    "dispatch_escalation": (_("Work order escalations"), {roles.SUPERVISOR, roles.MANAGER}, C.BOTH),
    "callback_due": (_("A callback is due"), {roles.AGENT, roles.SUPERVISOR}, C.BELL),
    "callback_digest": (_("Morning list of today's callbacks"), {roles.AGENT, roles.SUPERVISOR}, C.BELL),
    "survey_low_score": (_("Low survey score"), {roles.SUPERVISOR}, C.BOTH),
    "complaint": (_("Complaint hand-offs"), {roles.AGENT, roles.SUPERVISOR}, C.BOTH),
    "knowledge_review": (_("Knowledge articles to review"), {roles.AGENT, roles.SUPERVISOR, roles.MANAGER}, C.DIGEST),
    "monitoring_alert": (_("Live monitoring: anomaly alerts about my team"), {roles.SUPERVISOR, roles.MANAGER}, C.BELL),
    "general": (_("Everything else"), set(roles.ROLE_LABELS), C.BOTH),
}
# Role defaults that differ from the kind's: a manager reads escalations and scores once a day
# unless they reach level 2; a supervisor needs breaches at once but warnings only in the bell.
ROLE_DEFAULTS: dict[str, dict[str, str]] = {
    roles.MANAGER: {"dispatch_escalation": C.DIGEST, "survey_low_score": C.DIGEST, "sla_warning": C.DIGEST},
}
BELL_CHANNELS = (C.BELL, C.BOTH)
EMAIL_CHANNELS = (C.EMAIL, C.BOTH)


@dataclass(frozen=True)
class Message:
    """Text to be written in the recipient's language: a lazy (gettext_lazy/ngettext_lazy) string or
    an already final string (names, numbers), with %-params rendered at delivery."""

    text: str | Promise
    params: dict = field(default_factory=dict)

    def render(self, language: str) -> str:
        with translation.override(language):
            return self.render_active()

    def render_active(self, texts: dict | None = None) -> str:
        """The text in the language active now. Callers rendering many in one language override once,
        and may pass one dict for the run: a gettext_lazy text many messages share (a sweep's 9,000
        share a handful) is then translated once, not once per message."""
        def final(value):
            if texts is None or type(value) is not _LAZY_TEXT:
                return str(value) if isinstance(value, Promise) else value
            seen = texts.get(id(value))
            if seen is None or seen[0] is not value:
                seen = texts[id(value)] = (value, str(value))
            return seen[1]

        # Only a plain gettext_lazy text is translated ahead: an ngettext_lazy one picks its plural
        # form from the params in its own %.
        text = final(self.text) if type(self.text) is _LAZY_TEXT else self.text
        if self.params:
            return str(text % {k: final(v) for k, v in self.params.items()})
        return str(text)


_LAZY_TEXT = type(_("text"))  # the class of what gettext_lazy returns


@dataclass
class Note:
    """One notification to write: to whom, what, where it links, of which kind, about what."""

    recipient: object
    message: Message | str | Promise
    url: str = ""
    kind: str = ""
    group: str = ""
    params: dict | None = None


def default_channel(kind: str, user_roles: Iterable[str]) -> str:
    label_roles_default = KINDS.get(kind) or KINDS["general"]
    for role in user_roles:
        if kind in ROLE_DEFAULTS.get(role, {}):
            return ROLE_DEFAULTS[role][kind]
    return label_roles_default[2]


def site_language() -> str:
    return settings.LANGUAGE_CODE


def user_language(user, *, default: str | None = None) -> str:
    """The language a person reads (their profile's), else ``default``, else the site default. One query at most."""
    if user is None:
        return default or site_language()
    language = StaffProfile.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return language or default or site_language()


def user_languages(user_ids: Iterable[int]) -> dict[int, str]:
    """Languages for many people in one query (missing profile or blank = site default)."""
    ids = set(user_ids)
    found = dict(StaffProfile.objects.filter(user_id__in=ids).exclude(language="").values_list("user_id", "language"))
    return {uid: found.get(uid) or site_language() for uid in ids}


def _roles_of(users) -> dict[int, list[str]]:
    from django.contrib.auth import get_user_model

    through = get_user_model().groups.through
    names: dict[int, set] = {}
    for uid, name in through.objects.filter(user_id__in=[u.pk for u in users]).values_list("user_id", "group__name"):
        names.setdefault(uid, set()).add(name)
    result = {}
    for u in users:
        mine = [r for r in roles.ROLE_ORDER if r in names.get(u.pk, set())]
        if u.is_superuser and roles.MANAGER not in mine:
            mine.insert(0, roles.MANAGER)
        result[u.pk] = mine
    return result


def channels_for(user) -> dict[str, str]:
    """Every kind's channel for one person (their choice, else the default for their role)."""
    user_roles = _roles_of([user])[user.pk]
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind) or default_channel(kind, user_roles) for kind in KINDS}


def kinds_for(user) -> list[tuple[str, object]]:
    """The kinds a person can receive (by role), for the preferences page."""
    mine = set(_roles_of([user])[user.pk])
    return [(kind, label) for kind, (label, kind_roles, _default) in KINDS.items() if mine & kind_roles or kind == "general"]


def _as_note(item, *, kind: str, group: str) -> Note:
    if isinstance(item, Note):
        note = item
    else:  # the original (recipient, message, url) tuple, optionally with params
        recipient, message, url, *rest = item
        note = Note(recipient=recipient, message=message, url=url, params=rest[0] if rest else None)
    note.kind = note.kind or kind or "general"
    note.group = note.group or group or note.url
    return note


def _rendered(notes: list[Note], languages: dict[int, str]) -> list[str]:
    """Each note's text in its recipient's language: one translation.override per language, not per
    note (a sweep writes thousands in one or two languages)."""
    by_language: dict[str, list[int]] = {}
    for i, note in enumerate(notes):
        by_language.setdefault(languages[note.recipient.pk], []).append(i)
    texts = [""] * len(notes)
    for language, indexes in by_language.items():
        translated = {}
        with translation.override(language):
            for i in indexes:
                message = notes[i].message
                if not isinstance(message, Message):
                    message = Message(text=message, params=notes[i].params or {})
                texts[i] = message.render_active(translated)
    return texts


def notification_rows(items, *, email: bool, kind: str = "", group: str = "") -> list[Notification]:
    """Unsaved Notification rows for notify_many: each rendered in its recipient's language, with the
    channel the recipient chose for its kind (email=False keeps it to the bell). Three queries for
    the whole batch (languages, roles, preferences), whatever its size."""
    notes = [_as_note(item, kind=kind, group=group) for item in items]
    users = list({n.recipient.pk: n.recipient for n in notes}.values())
    languages = user_languages(u.pk for u in users)
    user_roles = _roles_of(users)
    chosen = {
        (uid, k): ch for uid, k, ch in NotificationPreference.objects.filter(
            user_id__in=[u.pk for u in users], kind__in={n.kind for n in notes}
        ).values_list("user_id", "kind", "channel")
    }
    rows = []
    for note, text in zip(notes, _rendered(notes, languages)):
        uid = note.recipient.pk
        channel = chosen.get((uid, note.kind)) or default_channel(note.kind, user_roles[uid])
        if not email:
            channel = C.BELL  # the caller wrote a bell-only message
        rows.append(build(
            Notification, recipient=note.recipient, message=text[:300], url=(note.url or "")[:300],
            kind=note.kind[:40], group=(note.group or "")[:100], channel=channel,
        ))
    return rows


def wants_email_now(notification: Notification) -> bool:
    return notification.channel in EMAIL_CHANNELS


# --- writes: a person's own choices ---------------------------------------------------------------------

def language_set(*, user, language: str) -> None:
    """Remember the language a person reads (the top bar's switch calls this)."""
    codes = {code for code, _label in settings.LANGUAGES}
    if language not in codes:
        return
    StaffProfile.objects.update_or_create(user=user, defaults={"language": language})


def preferences_save(*, user, channels: dict[str, str]) -> int:
    """Store a person's channel per kind; a choice equal to their role's default is stored too (it
    stays theirs if the default changes). Returns how many kinds were saved."""
    from django.db import transaction

    valid = {k: v for k, v in channels.items() if k in KINDS and v in C.values}
    with transaction.atomic():
        for kind, channel in valid.items():
            NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
    return len(valid)
