"""Duplicate files (R-2.8): the list of likely pairs to work through, "not a duplicate", and
the merge screen choosing field by field. Thin adapters over customers.duplicates (which
pairs, who sees them) and customers.merge (who may merge, how); mobiles and ID numbers are
shown through customers.masking, and a choice is "kept" or "merged", never a value.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from yingke.core import permissions
from yingke.core.models import Property
from yingke.customers import masking
from yingke.customers import merge as merging
from yingke.customers.duplicates import candidate_pairs, dismiss, reasons_for, reasons_shown
from yingke.customers.models import Customer
from yingke.customers.views.detail import visible_customer

PAGE_SIZE = 25


class PairFilterForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False)
    property = forms.ModelChoiceField(label=gettext_lazy("Property"), queryset=Property.objects.none(),
                                      required=False, to_field_name="code", empty_label=gettext_lazy("All"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("All reasons")),
                                         *[(code, label) for code, (_bit, label) in reasons_shown(user).items()]]
        self.fields["property"].queryset = user.properties.order_by("code")


class PairForm(forms.Form):
    a = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    b = forms.IntegerField(min_value=1, max_value=2**63 - 1)


def _sees_files(user):
    if not permissions.sees_customers(user):
        raise PermissionDenied(_("Your role sees no guest files."))


@login_required
def duplicate_list(request):
    """Pairs of files that may be one guest, newest first, with the reasons."""
    user = request.user
    _sees_files(user)
    form = PairFilterForm(request.GET or None, user=user)
    reason = prop = None
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"] or None
        prop = form.cleaned_data["property"]
    pairs = candidate_pairs(user, property=prop, reason=reason)
    by_reason = pairs.counts_by_reason()  # of every pair, whatever the reason filter (the same query)
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    can_merge = user.role in permissions.FILE_EDITORS
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "customers/duplicates/list.html", {
        "title": _("Possible duplicates"), "form": form, "page": page, "query": query.urlencode(),
        "reason_counts": [(code, label, by_reason[code]) for code, (_b, label) in reasons_shown(user).items()],
        "reason": reason, "can_merge": can_merge, "several_properties": form.fields["property"].queryset.count() > 1,
        "has_filters": bool(reason or prop), "next": request.get_full_path(), "capped": pairs.capped,
    }, status=200 if not form.is_bound or form.is_valid() else 422)


def _back(request, default):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@login_required
@require_POST
def duplicate_dismiss(request):
    """"Not a duplicate": the pair is not proposed again (needs EDIT on both files)."""
    form = PairForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a pair of files from the list."))
        return _back(request, "duplicates:list")
    a = visible_customer(request, form.cleaned_data["a"])
    b = visible_customer(request, form.cleaned_data["b"])
    try:
        with transaction.atomic():
            dismiss(request.user, a, b)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return _back(request, "duplicates:list")
    messages.success(request, _("“%(a)s” and “%(b)s” are marked as different guests; the pair will not be "
                                "proposed again.") % {"a": a.name, "b": b.name})
    return _back(request, "duplicates:list")


# ---- the merge screen -------------------------------------------------------------------

def shown_value(user, c: Customer, name: str) -> str:
    """A field's value as this user may see it (masked mobile, masked ID, labels)."""
    if name == "mobile":
        return masking.customer_mobile(user, c)
    if name == "id_number":
        mask = masking.customer_id(user, c)
        return f"{c.get_id_type_display()} {mask}".strip() if mask else ""
    if name == "owner":
        return c.owner.label if c.owner else _("Pool")
    field = Customer._meta.get_field(name)
    if field.choices:
        return getattr(c, f"get_{name}_display")()
    value = getattr(c, name)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _label(name: str) -> str:
    if name == "id_number":
        return capfirst(_("ID"))
    return capfirst(Customer._meta.get_field(name).verbose_name)


def _comparison(user, kept: Customer, other: Customer, chosen: dict[str, str]):
    """(rows that differ, number of fields that are the same)."""
    rows, same = [], 0
    for name in merging.choosable_fields():
        if kept.is_organisation and name in ("gender", "birth_date", "marital_status", "job_title", "employer"):
            if not getattr(kept, name) and not getattr(other, name):
                continue
        a, b = shown_value(user, kept, name), shown_value(user, other, name)
        raw_same = merging._value(kept, name) == merging._value(other, name)
        if raw_same or (name == "id_number" and kept.id_number_hash == other.id_number_hash):
            same += 1
            continue
        rows.append({"name": name, "label": _label(name), "kept": a, "other": b, "choice": chosen.get(name)})
    return rows, same


def related_counts(other: Customer) -> list[tuple[str, int]]:
    """(label, rows) of every relation the merge moves that has rows on this file."""
    out = []
    seen = set()
    for rel in merging.relations():
        if rel.how != "move" or hasattr(rel.model, "instance_type") or rel.model._meta.auto_created:
            continue
        n = rel.model._base_manager.filter(**{rel.field: other.pk}).count()
        if n:
            key = rel.model._meta.verbose_name_plural
            if rel.model._meta.label == "customers.ContactLink":
                key = _("contact links")
            if key in seen:
                out = [(k, v + n if k == key else v) for k, v in out]
                continue
            seen.add(key)
            out.append((key, n))
    tags = other.tags.count()
    if tags:
        out.append((_("tags"), tags))
    return out


def _other_from(request, kept: Customer):
    """The file to merge away: ?other=<id> (from the list) or a customer code typed in."""
    raw = request.POST.get("other") or request.GET.get("other") or ""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    if raw:
        try:
            pk = int(raw)
        except ValueError:
            return None, _("Choose the other file.")
        if not 0 < pk < 2**63:
            return None, _("Choose the other file.")
        try:
            return visible_customer(request, pk), None
        except merging.MergedAway:
            return None, _("That file was already merged into another.")
    if code:
        if len(code) > 30 or "\x00" in code:
            return None, _("No file with this code in this property.")
        other = (Customer.objects.visible_to(request.user)
                 .filter(property_id=kept.property_id, customer_code__iexact=code).first())
        if other is None:
            return None, _("No file with this code in this property.")
        return other, None
    return None, None


@login_required
def merge_page(request, pk):
    """Keep file `pk`, merge the other into it: choose each differing field's value."""
    kept = visible_customer(request, pk)
    user = request.user
    permissions.require(user, permissions.EDIT, kept)
    other, problem = _other_from(request, kept)
    status = 200
    errors: list[str] = []
    if other is not None:
        try:
            merging.check_pair(user, kept, other)
        except ValidationError as e:
            errors, other, status = e.messages, None, 422
    elif problem:
        errors, status = [problem], 422
    elif request.method == "POST":
        errors, status = [_("Choose the other file.")], 422

    if other is not None and request.method == "POST":
        choices = {name: request.POST.get(f"choice_{name}") for name in merging.choosable_fields()
                   if request.POST.get(f"choice_{name}")}
        try:
            record = merging.merge(user, kept, other, choices)
        except ValidationError as e:
            errors, status = [f"{_label(k) if k in merging.choosable_fields() else ''} {m}".strip()
                              for k, ms in (e.message_dict.items() if hasattr(e, "error_dict")
                                            else [("", e.messages)]) for m in ms], 422
            kept = visible_customer(request, pk)
            other = Customer.objects.filter(pk=other.pk).first()
        else:
            moved = sum(v for k, v in record.moved.items() if k != "dropped" and "Historical" not in k)
            messages.success(request, ngettext(
                "“%(name)s” (%(code)s) was merged into this file; %(n)d record moved.",
                "“%(name)s” (%(code)s) was merged into this file; %(n)d records moved.", moved)
                % {"name": record.merged_name, "code": record.merged_code, "n": moved})
            return redirect("customers:detail", pk=kept.pk)
    context = {"title": _("Merge files"), "kept": kept, "other": other, "errors": errors,
               "code": request.GET.get("code", "")[:30]}
    if other is not None:
        chosen = merging.default_choices(kept, other)
        if request.method == "POST":
            for name in merging.choosable_fields():
                v = request.POST.get(f"choice_{name}")
                if v in (merging.KEPT, merging.MERGED):
                    chosen[name] = v
        rows, same = _comparison(user, kept, other, chosen)
        context.update(rows=rows, same=same, moving=related_counts(other), kept_rows=related_counts(kept),
                       reasons=reasons_for(user, kept, other),
                       kept_mobile=masking.customer_mobile(user, kept),
                       other_mobile=masking.customer_mobile(user, other))
    return render(request, "customers/duplicates/merge.html", context, status=status)


def redirect_to_survivor(request, exc) -> object:
    """For customers.middleware: the same page of the file a merged-away id now is."""
    match = request.resolver_match
    kwargs = dict(match.kwargs)
    kwargs["pk"] = exc.survivor_id
    try:
        url = reverse(match.view_name, kwargs=kwargs)
    except NoReverseMatch:  # a page without that argument: the file itself
        url = reverse("customers:detail", kwargs={"pk": exc.survivor_id})
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    from django.http import HttpResponsePermanentRedirect
    from django.template.response import TemplateResponse

    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(url)
    # A write is never forwarded: a stale form of the merged file would overwrite the values
    # chosen in the merge. 404, nothing saved, and where the file went (the user may see it).
    survivor = Customer.objects.only("pk", "customer_code").get(pk=exc.survivor_id)
    response = TemplateResponse(request, "customers/merged_away.html", {"survivor": survivor}, status=404)
    return response.render()

