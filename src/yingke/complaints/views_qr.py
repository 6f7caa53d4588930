"""The QR sheet of the public feedback page (R-8.4): /complaints/qr/ picks the outlets (and
rooms or tables, one per line) of a property and downloads the sheet — a PDF, or PNG (one
image, or a ZIP of one image per page). Whoever may configure the property (general manager,
administrator): core.permissions decides through complaints.qr.plan.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.complaints import qr
from yingke.core import permissions
from yingke.core.forms import run_service
from yingke.core.permissions import CONFIGURE

WHOLE = "property"


class SheetForm(forms.Form):
    fmt = forms.ChoiceField(label=gettext_lazy("File"), widget=forms.RadioSelect, initial="pdf",
                            choices=[("pdf", gettext_lazy("PDF, one A4 page per code")),
                                     ("png", gettext_lazy("PNG images (a ZIP when there are several)"))])
    whole = forms.BooleanField(label=gettext_lazy("A code for the property as a whole (no outlet)"), required=False)

    def __init__(self, *args, outlets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.outlets = list(outlets)
        for o in self.outlets:
            self.fields[f"o{o.pk}"] = forms.BooleanField(label=o.name, required=False)
            self.fields[f"l{o.pk}"] = forms.CharField(
                label=_("Rooms or tables of %(outlet)s") % {"outlet": o.name}, required=False, strip=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=gettext_lazy("One per line; a page each. Empty: one page for the outlet."))

    @property
    def rows(self):
        return [(o, self[f"o{o.pk}"], self[f"l{o.pk}"]) for o in self.outlets]

    def selections(self):
        """[(outlet or None, locations)] chosen; the locations' errors go on their fields."""
        errors: dict = {}
        out = [(None, [])] if self.cleaned_data.get("whole") else []
        for o in self.outlets:
            locations = qr.parse_locations(self.cleaned_data.get(f"l{o.pk}"), f"l{o.pk}", errors)
            if self.cleaned_data.get(f"o{o.pk}") or locations:
                out.append((o, locations))
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name, message)
        return None if errors else out


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def qr_page(request):
    user = request.user
    code = request.POST.get("property") or request.GET.get("property")
    prop, props = permissions.chosen_property(user, code, CONFIGURE)
    outlets = list(prop.outlets.order_by("code"))
    status = 200
    if request.method == "POST":
        form = SheetForm(request.POST, outlets=outlets)
        selections = form.selections() if form.is_valid() else None
        if selections is not None:
            pages = run_service(form, qr.plan, user, prop, selections, qr.base_url(request))
            if pages:
                content, content_type, ext = qr.sheet(pages, form.cleaned_data["fmt"])
                return _download(content, content_type, f"feedback-qr-{prop.code}.{ext}")
        status = 422
    else:
        form = SheetForm(outlets=outlets, initial={f"o{o.pk}": True for o in outlets} | {"whole": not outlets})
    return render(request, "complaints/qr.html", {
        "title": _("QR codes of the feedback page"), "prop": prop, "props": props, "several": len(props) > 1,
        "form": form, "base_url": qr.base_url(request)}, status=status)
