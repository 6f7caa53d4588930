"""The public feedback page (R-8.4): /f/<token>/ from a QR code at the table or in the room.

No account, phone-first, Chinese and English (the browser's language, zh-hans otherwise;
`?lang=` switches and is remembered in Django's language cookie), its own small base
template without the staff navigation. Thin: complaints.feedback stores submissions and
keeps the abuse limits; this module only adds the device cookie (a long random value set on
the first visit), the honeypot (a field hidden by CSS: filled, the guest is thanked and
nothing is stored) and the 429 page.
"""

import re
import secrets

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from yingke.complaints import feedback
from yingke.complaints.models import Feedback, Kind
from yingke.core.auth_views import client_ip
from yingke.core.forms import run_service

DEVICE_COOKIE = "yk_device"
DEVICE_AGE = 2 * 365 * 24 * 3600
DEVICE_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")
LANGUAGE_AGE = 365 * 24 * 3600


class FeedbackForm(forms.Form):
    # kind and text are checked by feedback.submit, so that every message shows at once
    kind = forms.ChoiceField(label=gettext_lazy("What would you like to tell us?"), choices=Feedback.Kind.choices,
                             widget=forms.RadioSelect, required=False)
    complaint_type = forms.ChoiceField(label=gettext_lazy("What is the complaint about?"),
                                       choices=[("", "—"), *Kind.choices], required=False)
    text = forms.CharField(label=gettext_lazy("Your message"), strip=False, required=False,
                           widget=forms.Textarea(attrs={"rows": 6, "maxlength": feedback.TEXT_MAX}))
    name = forms.CharField(label=gettext_lazy("Your name (optional)"), required=False,
                           widget=forms.TextInput(attrs={"maxlength": feedback.NAME_MAX, "autocomplete": "name"}))
    mobile = forms.CharField(label=gettext_lazy("Mobile number (optional)"), required=False,
                             widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel",
                                                           "maxlength": 30}))
    consent = forms.BooleanField(label=gettext_lazy("Add this to my guest file, and you may contact me about it"),
                                 required=False)
    # The honeypot: hidden by public.css, left empty by people.
    website = forms.CharField(label=gettext_lazy("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))


def _device(request) -> tuple[str, bool]:
    """The device cookie's value, and whether it is new (to be set on the response)."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if DEVICE_SHAPE.fullmatch(value):
        return value, False
    return secrets.token_urlsafe(32), True


def _language(request) -> str | None:
    """The language asked for by ?lang=, now active; None when not asked."""
    lang = request.GET.get("lang", "")
    if lang not in dict(settings.LANGUAGES):
        return None
    translation.activate(lang)
    request.LANGUAGE_CODE = lang
    return lang


def _finish(response, request, lang=None, device=None):
    secure = bool(getattr(settings, "HTTPS", False))
    if lang:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=LANGUAGE_AGE, samesite="Lax",
                            secure=secure, httponly=True)
    if device:
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_AGE, samesite="Lax", secure=secure,
                            httponly=True)
    response.headers.setdefault("X-Robots-Tag", "noindex")
    return response


def not_found(request, lang=None):
    return _finish(render(request, "complaints/public_404.html", {}, status=404), request, lang)


@never_cache
def page(request, token):
    lang = _language(request)
    target = feedback.read_token(token)
    if target is None:
        return not_found(request, lang)
    device, new_device = _device(request)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST":
        ip = client_ip(request)
        if feedback.over_limit(ip, device):
            response = render(request, "complaints/public_limited.html", {"target": target}, status=429)
            response["Retry-After"] = "600"
            return _finish(response, request, lang, device if new_device else None)
        robot = bool(request.POST.get("website", "").strip())  # the honeypot: thank the robot, store nothing
        done = False
        if not robot and form.is_valid():
            data = form.cleaned_data
            done = run_service(form, feedback.submit, target.property, outlet=target.outlet,
                               location=target.location, kind=data["kind"], text=data["text"], name=data["name"],
                               mobile=data["mobile"], consent=data["consent"],
                               complaint_type=data["complaint_type"]) is not None
        if robot or done:
            if done:  # a robot's post is not counted: it must not use up the limit of a shared address
                feedback.count_submission(ip, device)
            kind = request.POST.get("kind", "")
            url = reverse("feedback:thanks", args=[token]) + (f"?k={kind}" if kind in Feedback.Kind.values else "")
            return _finish(redirect(url), request, lang, device if new_device else None)
    status = 422 if request.method == "POST" else 200
    return _finish(render(request, "complaints/public.html", {"target": target, "form": form}, status=status),
                   request, lang, device if new_device else None)


@never_cache
def thanks(request, token):
    lang = _language(request)
    target = feedback.read_token(token)
    if target is None:
        return not_found(request, lang)
    kind = request.GET.get("k", "")
    return _finish(render(request, "complaints/public_thanks.html", {
        "target": target, "kind": kind if kind in Feedback.Kind.values else "",
        "back": reverse("feedback:page", args=[token])}), request, lang)
