"""The layout's menus (and its keyboard-shortcuts dialog), rendered once per distinct reader and kept in the process.

The menu bar and the user menu are ~60 permission checks, URL reversals and translations: about
2 ms of every staff page, the same for every page a person opens. Their output depends only on what
the key below holds — the person's permissions, staff and superuser flags, display name and role
label, the language and the URL prefix — so a fragment rendered for that key is the fragment for
every later request with it. A permission granted or a name changed is a new key, never a stale menu.
Nothing that varies per request (the CSRF token, the bell's count, the current path) is inside.
"""
from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import translation

register = template.Library()

MEMO_SIZE = 512  # distinct (person's permissions × language) menus a process keeps; then it starts over
_memo: dict = {}

FRAGMENTS = ("_nav_links.html", "_user_menu.html", "_shortcuts_help.html")


def _key(name: str, user, role_label) -> tuple:
    return (name, translation.get_language(), get_script_prefix(), user.is_staff, user.is_superuser,
            user.get_full_name() or user.get_username(), str(role_label or ""),
            frozenset(user.get_all_permissions()))


@register.simple_tag(takes_context=True)
def layout_fragment(context, name: str):
    """Render one of FRAGMENTS for the signed-in user, from the memo when this reader saw it already."""
    if name not in FRAGMENTS:
        raise template.TemplateSyntaxError(f"layout_fragment: {name} is not a layout fragment")
    user = context["user"]
    role_label = context.get("nav_role_label")
    role_label = role_label() if callable(role_label) else role_label
    key = _key(name, user, role_label)
    html = _memo.get(key)
    if html is None:
        html = get_template(name).render({"user": user, "perms": context.get("perms"),
                                          "nav_role_label": role_label})
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()
        _memo[key] = html
    return html
