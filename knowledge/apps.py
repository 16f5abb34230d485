from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self):
        from servicedesk import roles

        read = ["knowledge.view_article"]
        write = [
            *read,
            "knowledge.add_article",
            "knowledge.change_article",
            "knowledge.publish_article",
            "knowledge.link_article",
        ]
        # Agents, supervisors and managers write and publish; the front desk and technicians read
        # internal articles (technicians need the procedures) but cannot edit. Anonymous visitors
        # only ever see the public FAQ, which needs no permission.
        for role in (roles.AGENT, roles.SUPERVISOR, roles.MANAGER):
            roles.extend_role(role, write)
        for role in (roles.FRONT_DESK, roles.TECHNICIAN):
            roles.extend_role(role, read)
