"""Password change that counts wrong current passwords like failed log-ins, the client
address django-axes counts failures by, and our password length rule (R-12.1)."""

from django.conf import settings
from django.contrib.auth import logout, password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.shortcuts import render
from django.utils.translation import ngettext


def client_ip(request) -> str | None:
    """REMOTE_ADDR; behind the proxy of YINGKE_HTTPS=1, the address that proxy saw (the
    right-most X-Forwarded-For entry: the only one a client cannot forge)."""
    if getattr(settings, "HTTPS", False):
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


def _locked_out(request):
    """Log out and say why (429), as the log-in page does after too many failures."""
    from django.contrib.auth.forms import AuthenticationForm

    logout(request)
    request.axes_locked_out = False  # answered here; AxesMiddleware need not replace the page
    minutes = int(float(getattr(settings, "AXES_COOLOFF_TIME", 0.25) or 0) * 60)
    context = {"form": AuthenticationForm(), "locked_out": True, "cooloff_minutes": minutes,
               "password_change_lockout": True}
    return render(request, "registration/login.html", context, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, with each wrong current password counted by django-axes
    as a failed log-in of that user from that address (AXES_FAILURE_LIMIT). At the limit the
    user is logged out and told why; while locked out no password is checked at all."""

    template_name = "registration/password_change_form.html"

    def _credentials(self):
        return {settings.AXES_USERNAME_FORM_FIELD: self.request.user.get_username()}

    def post(self, request, *args, **kwargs):
        if settings.AXES_ENABLED:
            from axes.handlers.proxy import AxesProxyHandler

            if AxesProxyHandler.is_locked(request, self._credentials()):
                return _locked_out(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors and settings.AXES_ENABLED:
            user_login_failed.send(sender=type(self), credentials=self._credentials(), request=self.request)
            if getattr(self.request, "axes_locked_out", False):
                return _locked_out(self.request)
        return super().form_invalid(form)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with a message our catalogue translates (Django 5.2 changed its msgid to `%d`,
    which its own zh-hans catalogue does not have yet)."""

    def get_error_message(self):
        return ngettext("This password is too short. It must contain at least %(min_length)d character.",
                        "This password is too short. It must contain at least %(min_length)d characters.",
                        self.min_length) % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's similarity rule, and also: the password may not contain the user name (or
    another listed attribute) of 3 or more characters, which Django's ratio misses for
    short names ("am1am1am1am1")."""

    def validate(self, password, user=None):
        super().validate(password, user)
        if user is None:
            return
        for name in self.user_attributes:
            value = getattr(user, name, None)
            if isinstance(value, str) and len(value) >= 3 and value.lower() in password.lower():
                try:
                    verbose = str(user._meta.get_field(name).verbose_name)
                except FieldDoesNotExist:
                    verbose = name
                raise ValidationError(self.get_error_message(), code="password_too_similar",
                                      params={"verbose_name": verbose})
