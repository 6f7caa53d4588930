"""The handover screen (R-1.3): /control/handover/<user_id>/ shows what a member of staff
still holds (counts per kind and property — no customer names, so an administrator, who sees
no guest files, uses it too), and hands it all over to a chosen member or by the assignment
rules, with a required reason. Thin: control.handover decides and asks core.permissions
(HANDOVER: the general manager or an administrator of a property the member works at; a
member outside the actor's staff is 404, a role that may not hand over 403).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.control import handover as service
from yingke.control.models import Handover
from yingke.core.forms import run_service

HISTORY_SHOWN = 20


class HandoverForm(forms.Form):
    MEMBER, RULES = "member", "rules"
    mode = forms.ChoiceField(label=gettext_lazy("Hand over to"), widget=forms.RadioSelect,
                             choices=[(MEMBER, gettext_lazy("one member of staff")),
                                      (RULES, gettext_lazy("the assignment rules (the leaver excluded)"))])
    to = forms.ModelChoiceField(label=gettext_lazy("Member of staff"), queryset=None, required=False,
                                empty_label="—")
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300,
                             help_text=gettext_lazy("Recorded on each file, e.g. “left the company”."))

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["to"].queryset = get_user_model().objects.filter(pk__in=[u.pk for u in candidates]) \
            .order_by("username")
        self.fields["to"].label_from_instance = lambda u: f"{u.label} ({u.username}, {u.get_role_display()})"

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.MEMBER and not data.get("to") and "to" not in self.errors:
            self.add_error("to", _("Choose the member of staff who takes the work over."))
        return data


def _rows(held, props):
    """[(label, [count per property], total)] for the kinds the member holds."""
    labels = service.labels()
    rows = []
    for key, per in held.items():
        if per:
            rows.append((labels.get(key, key), [per.get(p.pk, 0) for p in props], sum(per.values())))
    return rows


@login_required
def handover_page(request, user_id):
    member, props, held = service.holdings_for(request.user, user_id)
    candidates = service.candidates(request.user, member, props) if props else []
    form = HandoverForm(request.POST or None, candidates=candidates, initial={"mode": HandoverForm.MEMBER})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_rules = data["mode"] == HandoverForm.RULES
        h = run_service(form, service.handover, request.user, member, to=None if by_rules else data["to"],
                        by_rules=by_rules, reason=data["reason"])
        if h is not None:
            messages.success(request, service.summary(h))
            return redirect("control:handover", user_id=member.pk)
    history = (Handover.objects.filter(from_user=member).select_related("to_user", "actor")
               .order_by("-created_at", "-pk")[:HISTORY_SHOWN])
    labels = service.labels()
    kept = service.team_kept(member, [p.pk for p in props])
    return render(request, "control/handover.html", {
        "title": _("Handover of %(name)s") % {"name": member.label}, "member": member, "properties": props,
        "rows": _rows(held, props), "total": service.total(held), "form": form,
        "team_kept": service.kept_note(member, [u.label for u in kept]) if kept else "",
        "history": [(h, [(labels.get(k, k), v) for k, v in (h.counts or {}).items()
                         if k in labels and isinstance(v, int) and v]) for h in history],
    }, status=422 if request.method == "POST" else 200)
