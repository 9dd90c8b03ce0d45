"""API tokens in the admin: create (the token is shown once), list, revoke.

Only a hash of a token is stored, so the plaintext exists in exactly one place: the response to
the form that created it. It is rendered straight into that response (never put in a message,
the session or a cookie) and marked no-store; afterwards only its prefix is ever shown.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.html import format_html

from faultportal.models import ApiToken
from faultportal.services import api_token_create, api_token_revoke, parse_scopes

# The admin is one half of the portal; the header says so and links to the other half (the
# dashboard, templates/admin/base_site.html). "View site" would lead to the same place.
admin.site.site_header = "faultportal admin"
admin.site.site_title = "faultportal"
admin.site.index_title = "Operations"
admin.site.site_url = None


class ApiTokenCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.INGEST],
        help_text="Flume agents and scripts that report need only ingest.",
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scopes"]

    def clean_scopes(self) -> str:
        return ",".join(parse_scopes(self.cleaned_data["scopes"]))


class TokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("revoked", "revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix_display",
        "scopes",
        "created_at",
        "created_by",
        "last_used_at",
        "status",
    ]
    list_filter = [TokenStatusFilter]
    list_select_related = ["created_by"]
    search_fields = ["^name", "^prefix"]
    actions = ["revoke_tokens"]
    # key_hash is not editable (the model says so) and appears nowhere in the admin.
    change_fields = [
        "name",
        "prefix_display",
        "scopes",
        "status",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    change_readonly_fields = [field for field in change_fields if field != "name"]
    token_created_template = "admin/faultportal/apitoken/token_created.html"

    class Media:
        css = {"all": ["faultportal/admin.css"]}

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "scopes"] if obj is None else self.change_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.change_readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = api_token_create(
            name=obj.name, scopes=form.cleaned_data["scopes"], created_by=request.user
        )
        # The admin goes on with `obj` (history entry, redirect): make it the saved token.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        obj._state.db = token._state.db
        request._api_token_plaintext = raw

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_api_token_plaintext", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": f"API token “{obj.name}” created",
            "opts": self.opts,
            "token": obj,
            "plaintext": raw,
            "cache_seconds": settings.API_TOKEN_CACHE_SECONDS,
        }
        response = TemplateResponse(request, self.token_created_template, context)
        # The only copy of the token: no browser or proxy may keep it.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            revoked += 1
        self.message_user(
            request,
            f"Revoked {revoked} token(s). Servers that looked a token up recently accept it for "
            f"up to {settings.API_TOKEN_CACHE_SECONDS} s more.",
            messages.SUCCESS,
        )

    @admin.display(description="prefix", ordering="prefix")
    def prefix_display(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="status", ordering="revoked_at")
    def status(self, obj):
        if obj.revoked_at is None:
            return format_html('<span class="fp-badge fp-token-active">{}</span>', "active")
        return format_html('<span class="fp-badge fp-token-revoked">{}</span>', "revoked")
