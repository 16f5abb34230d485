from django.contrib import admin

from .models import Article, ArticleTicketLink, ArticleVersion, ArticleVote, Category, ReviewReminder, Tag


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ["number", "title", "changed_by", "created_at", "change_note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Read-mostly: articles are written on the knowledge pages so every save keeps a version."""

    list_display = ["title", "status", "visibility", "category", "owner", "review_by", "solved_count", "updated_at"]
    list_filter = ["status", "visibility", "category"]
    search_fields = ["title", "model", "product"]
    readonly_fields = [f.name for f in Article._meta.fields if f.name not in ("category", "owner", "review_by")]
    exclude = ["tags"]
    inlines = [VersionInline]

    def has_add_permission(self, request):
        return False


@admin.register(ArticleTicketLink)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["article", "ticket", "linked_by", "created_at"]
    raw_id_fields = ["article", "ticket"]


@admin.register(ArticleVote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["article", "user", "helpful", "created_at"]
    raw_id_fields = ["article"]


@admin.register(ReviewReminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["article", "week", "owner", "created_at"]
    raw_id_fields = ["article"]
