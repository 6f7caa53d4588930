"""Assignment pages (R-6.2): the rules of a property and the staff settings, the queue of files
waiting for the sales manager, and bulk assignment from the customer list.

Who may do what (the services in control.assignment ask core.permissions):
  * /control/assignment/: the general manager, administrators (CONFIGURE) and the account and
    sales managers of the property read it; the rules are changed by whoever may CONFIGURE the
    property; a member's settings (areas, capacity, weight, start, daily target) by whoever has
    TARGET on that member (their sales manager, the general manager). Each member sees the rows
    they may CONTROL (themselves, their team; the GM all).
  * /control/queue/: the sales and general managers of the property (may_manage_queue); each
    file is assigned through require_assign, "apply the rules now" runs assign_by_rules.
  * /control/assign/: bulk assign or release from the customer list; all or nothing
    (assignment.bulk_assign).
Thin views: the rules live in control.assignment.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yingke.control import assignment
from yingke.control.models import AssignmentPolicy, StaffSetting
from yingke.core.forms import run_service
from yingke.core.models import Property
from yingke.core.permissions import CONFIGURE, assignable_owners, can, is_staff, my_properties, pick_property
from yingke.core.roles import OWNER_ROLES
from yingke.core.services import valid_id
from yingke.customers.models import Customer

RULE_CHOICES = [(code, assignment.rule_label(code)) for code in assignment.RULES]


def _policy_label(name):
    return capfirst(AssignmentPolicy._meta.get_field(name).verbose_name)


def _setting_label(name):
    return capfirst(StaffSetting._meta.get_field(name).verbose_name)


class PolicyForm(forms.Form):
    """The rules in order (one select per position) and the new-staff share; the service checks."""

    rule_1 = forms.ChoiceField(label=gettext_lazy("1st"), choices=RULE_CHOICES)
    rule_2 = forms.ChoiceField(label=gettext_lazy("2nd"), choices=RULE_CHOICES)
    rule_3 = forms.ChoiceField(label=gettext_lazy("3rd"), choices=RULE_CHOICES)
    rule_4 = forms.ChoiceField(label=gettext_lazy("4th"), choices=RULE_CHOICES)
    new_staff_months = forms.CharField(label=_policy_label("new_staff_months"), max_length=6,
                                       widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
                                       help_text=gettext_lazy("0 to 120; 0: nobody counts as new."))
    new_staff_share = forms.CharField(label=_policy_label("new_staff_share"), max_length=6,
                                      widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
                                      help_text=gettext_lazy("A percentage from 0 to 100 of the files decided by a rule this month."))

    POSITIONS = ["rule_1", "rule_2", "rule_3", "rule_4"]

    @classmethod
    def of(cls, policy):
        order = [r for r in policy.order if r in assignment.RULES] or list(assignment.RULES)
        initial = {f"rule_{i}": code for i, code in enumerate(order, 1)}
        initial.update(new_staff_months=policy.new_staff_months, new_staff_share=policy.new_staff_share)
        return cls(initial=initial)

    def order(self, move: str = "") -> list[str]:
        order = [self.cleaned_data[p] for p in self.POSITIONS]
        index, _sep, way = move.partition(":")
        if index.isdigit() and way in ("up", "down"):
            i = int(index)
            j = i - 1 if way == "up" else i + 1
            if 0 <= i < len(order) and 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
        return order


class SettingForm(forms.Form):
    areas = forms.CharField(label=_setting_label("areas"), max_length=200, required=False,
                            help_text=gettext_lazy("Separated by commas or 、"))
    capacity = forms.CharField(label=_setting_label("capacity"), max_length=8, required=False,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5}),
                               help_text=gettext_lazy("Empty: no cap."))
    weight = forms.CharField(label=_setting_label("weight"), max_length=4,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 3}))
    started_on = forms.DateField(label=_setting_label("started_on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    daily_target = forms.CharField(label=_setting_label("daily_target"), max_length=4,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 3}))

    @classmethod
    def of(cls, s: StaffSetting, data=None):
        form = cls(data, prefix=f"s{s.pk}", initial={
            "areas": s.areas, "capacity": "" if s.capacity is None else s.capacity, "weight": s.weight,
            "started_on": s.started_on, "daily_target": s.daily_target})
        for field in form.fields.values():  # the inputs sit in the row's cells, the form in its last
            field.widget.attrs.update(form=f"setting-{s.pk}", **{"aria-label": str(field.label)})
        return form


# ---- which property ------------------------------------------------------------------------

def _may_read(user, prop) -> bool:
    return can(user, CONFIGURE, prop) or (is_staff(user) and user.role in OWNER_ROLES
                                          and prop.pk in user.property_ids())


def _props(user, check) -> list[Property]:
    return [p for p in my_properties(user) if check(user, p)]


def _chosen(request, props, denied):
    return pick_property(request.user, props, request.GET.get("property") or request.POST.get("property"), denied)


def _assignment_prop(request):
    props = _props(request.user, _may_read)
    return _chosen(request, props, _("Your role may not look at the assignment rules.")), props


# ---- the rules and the staff settings -----------------------------------------------------------

def _assignment_context(request, prop, props, policy_form=None, setting_forms=None):
    user = request.user
    pol = assignment.policy_of(prop)
    rows = assignment.settings_for(user, prop)
    setting_forms = setting_forms or {}
    for s in rows:
        s.form = setting_forms.get(s.pk) or (SettingForm.of(s) if s.may_change else None)
    return {
        "title": _("Assignment rules"),
        "prop": prop,
        "props": props,
        "policy": pol,
        "order": [(code, assignment.rule_label(code)) for code in pol.order],
        "policy_changes": assignment.policy_changes(pol),
        "may_configure": can(user, CONFIGURE, prop),
        "policy_form": policy_form or PolicyForm.of(pol),
        "settings": rows,
    }


@login_required
def assignment_page(request):
    prop, props = _assignment_prop(request)
    return render(request, "control/assignment.html", _assignment_context(request, prop, props))


def _back(prop, name="control:assignment", anchor=""):
    return redirect(reverse(name) + f"?property={prop.code}{anchor}")


@login_required
@require_POST
def policy_update(request):
    prop, props = _assignment_prop(request)
    form = PolicyForm(request.POST)
    if form.is_valid():
        saved = run_service(form, assignment.update_policy, request.user, prop,
                            order=form.order(request.POST.get("move", "")),
                            new_staff_months=form.cleaned_data["new_staff_months"],
                            new_staff_share=form.cleaned_data["new_staff_share"])
        if saved is not None:
            messages.success(request, _("The assignment rules were saved; they apply to the next files."))
            return _back(prop, anchor="#rules")
    elif not can(request.user, CONFIGURE, prop):
        raise PermissionDenied(_("Your role may not change the configuration of this property."))
    context = _assignment_context(request, prop, props, policy_form=form)
    return render(request, "control/assignment.html", context, status=422)


@login_required
@require_POST
def setting_update(request, pk):
    prop, props = _assignment_prop(request)
    s = next((r for r in assignment.settings_for(request.user, prop) if r.pk == pk), None)
    if s is None:
        raise Http404
    form = SettingForm.of(s, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        saved = run_service(form, assignment.update_setting, request.user, s, **data)
        if saved is not None:
            messages.success(request, _("The settings of %(name)s were saved.") % {"name": s.user.label})
            return _back(prop, anchor="#staff")
    elif not s.may_change:
        raise PermissionDenied(_("Only their sales manager or the general manager sets this member of staff's "
                                 "targets."))
    context = _assignment_context(request, prop, props, setting_forms={s.pk: form})
    return render(request, "control/assignment.html", context, status=422)


# ---- the queue ------------------------------------------------------------------------------------

QUEUE_SHOWN = 200


def _queue_prop(request):
    props = _props(request.user, assignment.may_manage_queue)
    return _chosen(request, props, _("Only the sales manager or the general manager handles the files waiting for "
                                     "an account manager.")), props


@login_required
def queue_page(request):
    prop, props = _queue_prop(request)
    rows = list(assignment.queue(request.user, prop)[:QUEUE_SHOWN])
    return render(request, "control/queue.html", {
        "title": _("Files waiting for an account manager"),
        "prop": prop,
        "props": props,
        "rows": rows,
        "more": len(rows) == QUEUE_SHOWN,
        "owners": list(assignable_owners(request.user, prop).order_by("username")),
    })


def _owner(value, prop=None):
    """The member of staff chosen in an owner select ('' or 'pool': None). Raises ValidationError."""
    value = (value or "").strip()
    if value in ("", "pool"):
        return None
    pk = int(value) if value.isascii() and value.isdigit() else None
    user = get_user_model().objects.filter(pk=pk).first() if valid_id(pk) else None
    if user is None:
        raise ValidationError({"owner": [_("Choose an account manager from the list.")]})
    return user


@login_required
@require_POST
def queue_assign(request, pk):
    # A file the reader may not see is 404 before anything else (like every route on one file).
    if not valid_id(pk) or not Customer.objects.visible_to(request.user).filter(pk=pk).exists():
        raise Http404
    prop, _props_ = _queue_prop(request)
    row = assignment.queue(request.user, prop).filter(customer_id=pk).first()
    if row is None:  # given an owner meanwhile (a claim, the rules, another manager)
        messages.error(request, _("This file already has an account manager; it no longer waits in the queue."))
        return _back(prop, "control:queue")
    try:
        with transaction.atomic():
            owner = _owner(request.POST.get("owner"))
            if owner is None:
                raise ValidationError({"owner": [_("Choose an account manager.")]})
            assignment.assign_one(request.user, row.customer, owner)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return _back(prop, "control:queue")
    messages.success(request, _("%(customer)s is now %(owner)s's file.") % {
        "customer": row.customer.name, "owner": owner.label})
    return _back(prop, "control:queue")


@login_required
@require_POST
def queue_apply(request):
    prop, _props_ = _queue_prop(request)
    counts = assignment.apply_rules_now(request.user, prop)
    if not counts:
        messages.info(request, _("No file was waiting for the rules."))
    else:
        text = ", ".join(f"{assignment.rule_label(rule)} {n}" for rule, n in sorted(counts.items()))
        messages.success(request, _("The rules were applied: %(counts)s.") % {"counts": text})
    return _back(prop, "control:queue")


# ---- bulk assign from the customer list -------------------------------------------------------------

def _next_url(request) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()) and url.startswith("/"):
        return url
    return reverse("customers:list")


@login_required
@require_POST
def bulk_assign(request):
    """Assign (or release to the pool) the ticked files of the customer list, all or nothing."""
    back = _next_url(request)
    raw = request.POST.getlist("ids")
    ids = [int(v) for v in raw if v.isascii() and v.isdigit() and len(v) < 20]
    if len(ids) != len(raw) or not ids:
        messages.error(request, _("Tick at least one file in the list."))
        return redirect(back)
    try:
        owner = _owner(request.POST.get("owner"))
        moved = assignment.bulk_assign(request.user, ids, owner, request.POST.get("reason", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(back)
    if owner is None:
        messages.success(request, _("%(n)s files were put back into the shared pool.") % {"n": len(moved)})
    else:
        messages.success(request, _("%(n)s files are now %(owner)s's.") % {"n": len(moved), "owner": owner.label})
    return redirect(back)


def bulk_owner_choices(user) -> list:
    """The owners offered by the customer list's "assign selected to" select: everyone `user` may
    assign in any of their properties (one query), by name."""
    ids = user.property_ids() if is_staff(user) else []
    if not ids:
        return []
    qs = None
    for pk in ids:
        part = assignable_owners(user, pk)
        qs = part if qs is None else qs | part
    return list(qs.distinct().order_by("username"))

