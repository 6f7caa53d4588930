"""Tag pages under /settings/tags/: list with how many files carry each, rename, merge,
delete. Thin adapters over customers.tags, which decides (CONFIGURE), records each change
in the affected files' history and audits it. No customer data is shown, only counts.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from yingke.core import services as config_services
from yingke.core.forms import run_service
from yingke.customers import tags as tag_services
from yingke.customers.models import Tag

TAG_PAGE = 50


class TagFilterForm(forms.Form):
    property = forms.ModelChoiceField(label=gettext_lazy("Property"), queryset=None, required=False,
                                      empty_label=gettext_lazy("All"), to_field_name="code")
    q = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=30, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["property"].queryset = config_services.configurable_properties(actor).order_by("code")


class RenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("New name"), max_length=tag_services.MAX_LENGTH)


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(label=gettext_lazy("Merge into"), queryset=Tag.objects.none(),
                                  empty_label="—")

    def __init__(self, *args, tag, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = Tag.objects.filter(property=tag.property_id).exclude(pk=tag.pk)


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("Yes, remove this tag from every file that carries it"),
                                 error_messages={"required": gettext_lazy("Tick the box to confirm the deletion.")})


@login_required
def tag_list(request):
    tags = tag_services.configurable_tags(request.user)
    form = TagFilterForm(request.GET or None, actor=request.user)
    if form.is_bound and form.is_valid():
        if form.cleaned_data.get("property"):
            tags = tags.filter(property=form.cleaned_data["property"])
        if form.cleaned_data.get("q"):
            tags = tags.filter(name__icontains=form.cleaned_data["q"].strip())
    page = Paginator(tags, TAG_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "customers/tags/list.html", {
        "title": _("Tags"), "form": form, "page": page, "query": query.urlencode(),
        "several_properties": form.fields["property"].queryset.count() > 1,
        "has_filters": form.is_bound and any(form.data.get(k) for k in ("property", "q")),
    })


def _edit_page(request, tag, rename=None, merge=None, delete=None):
    forms_ = {"rename": rename or RenameForm(initial={"name": tag.name}), "merge": merge or MergeForm(tag=tag),
              "delete": delete or DeleteForm()}
    bad = any(f.is_bound and f.errors for f in forms_.values())
    return render(request, "customers/tags/edit.html", {"title": _("Tag “%(name)s”") % {"name": tag.name},
                                                        "tag": tag, **forms_}, status=422 if bad else 200)


@login_required
def tag_edit(request, pk):
    tag = tag_services.configurable_tag(request.user, pk)
    if request.method != "POST":
        return _edit_page(request, tag)
    form = RenameForm(request.POST)
    if form.is_valid():
        old = tag.name
        if run_service(form, tag_services.rename_tag, request.user, tag, form.cleaned_data["name"]) is not None:
            messages.success(request, _("Tag “%(old)s” is now called “%(new)s”.") % {"old": old, "new": tag.name})
            return redirect("tags:edit", pk=tag.pk)
        tag = tag_services.configurable_tag(request.user, pk)
    return _edit_page(request, tag, rename=form)


@login_required
@require_POST
def tag_merge(request, pk):
    tag = tag_services.configurable_tag(request.user, pk)
    form = MergeForm(request.POST, tag=tag)
    if form.is_valid():
        target = run_service(form, tag_services.merge_tags, request.user, tag, form.cleaned_data["into"])
        if target is not None:
            messages.success(request, ngettext(
                "Tag “%(old)s” was merged into “%(new)s” (%(n)d file).",
                "Tag “%(old)s” was merged into “%(new)s” (%(n)d files).", tag.files)
                % {"old": tag.name, "new": target.name, "n": tag.files})
            return redirect("tags:edit", pk=target.pk)
    return _edit_page(request, tag, merge=form)


@login_required
@require_POST
def tag_delete(request, pk):
    tag = tag_services.configurable_tag(request.user, pk)
    form = DeleteForm(request.POST)
    if form.is_valid():
        count = run_service(form, tag_services.delete_tag, request.user, tag)
        if count is not None:
            messages.success(request, ngettext("Tag “%(name)s” was deleted and removed from %(n)d file.",
                                               "Tag “%(name)s” was deleted and removed from %(n)d files.", count)
                             % {"name": tag.name, "n": count})
            url = redirect("tags:list")
            url["Location"] += f"?property={tag.property.code}"
            return url
    return _edit_page(request, tag, delete=form)
