"""Properties, outlets and staff (R-1.1, R-1.2)."""

import builtins
import datetime as dt
import hashlib
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingke.core.roles import Role

code_validator = RegexValidator(r"^[A-Za-z0-9_-]{1,20}$", _("Use 1–20 letters, digits, '-' or '_'."))


class Property(models.Model):
    class Kind(models.TextChoices):
        HOTEL = "hotel", _("Hotel")
        RESTAURANT = "restaurant", _("Restaurant")

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.HOTEL)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    # Imports create an outlet named in a file on first sight, unless the outlets are strict.
    outlets_strict = models.BooleanField(
        _("outlets are fixed"), default=False,
        help_text=_("When set, an import row naming an outlet that is not configured is rejected instead of "
                    "creating the outlet."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    # Local time of the property: the one place that turns its days into instants (grading
    # windows, report periods, daily aggregates all ask these).
    @builtins.property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("Asia/Shanghai")

    def local_today(self) -> dt.date:
        """Today in the property's time zone."""
        return timezone.now().astimezone(self.zone).date()

    def local_day(self, when: dt.datetime) -> dt.date:
        """The local date of an aware instant."""
        return when.astimezone(self.zone).date()

    def day_start(self, day: dt.date, at: dt.time = dt.time(0)) -> dt.datetime:
        """The UTC instant of local `day` at `at` (midnight by default; fold 0 on ambiguous times)."""
        return dt.datetime.combine(day, at, tzinfo=self.zone).astimezone(dt.UTC)


class Outlet(models.Model):
    class Kind(models.TextChoices):
        RESTAURANT = "restaurant", _("Restaurant")
        BANQUET = "banquet", _("Banquet hall")
        ROOMS = "rooms", _("Rooms")
        BAR = "bar", _("Bar / lounge")
        OTHER = "other", _("Other")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="outlets", verbose_name=_("property"))
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RESTAURANT)
    # Tables for a restaurant or banquet hall, rooms for the rooms outlet.
    capacity = models.PositiveIntegerField(_("tables or rooms"), default=0, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        ordering = ["property", "code"]
        constraints = [models.UniqueConstraint(fields=["property", "code"], name="outlet_code_unique_per_property")]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A member of staff. `role` decides which rows they see (R-1.2)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    properties = models.ManyToManyField(Property, blank=True, related_name="staff", verbose_name=_("properties"))
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="team",
        verbose_name=_("sales manager"), help_text=_("The sales manager this account manager reports to."),
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    # Kept by core.notify (send / mark_read) so that the bell of every page costs no query;
    # the notifications page sets it to the exact count.
    unread_notifications = models.PositiveIntegerField(default=0, editable=False)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def label(self):
        return str(self)

    def property_ids(self) -> list[int]:
        if not hasattr(self, "_property_ids"):
            self._property_ids = list(self.properties.values_list("id", flat=True))
        return self._property_ids

    # For templates; the decisions are core.permissions'.
    @property
    def can_export(self) -> bool:
        from yingke.core import permissions

        return permissions.can(self, permissions.EXPORT)

    @property
    def sees_full_mobile(self) -> bool:
        from yingke.core import permissions

        return permissions.sees_full_mobile(self)

    @property
    def sees_customers(self) -> bool:
        from yingke.core import permissions

        return permissions.sees_customers(self)

    @property
    def can_configure(self) -> bool:
        from yingke.core import permissions

        return permissions.can(self, permissions.CONFIGURE)


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    # last_used_at is written at most this often: an API call must not be a database write.
    LAST_USED_PRECISION = dt.timedelta(minutes=1)
    MAX_DAYS = 3650

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @classmethod
    def issue(cls, user, name="", expires_in_days: int | None = None):
        """A new key for `user`, valid for `expires_in_days` days (1–3650) or until deleted."""
        if expires_in_days is not None and not 1 <= expires_in_days <= cls.MAX_DAYS:
            raise ValidationError({"expires_in_days": [
                _("Give a number of days between 1 and %(max)d.") % {"max": cls.MAX_DAYS}]})
        key = "yk_" + secrets.token_urlsafe(32)
        now = timezone.now()
        expires_at = now + dt.timedelta(days=expires_in_days) if expires_in_days else None
        token = cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=cls.hash_key(key),
                                   created_at=now, expires_at=expires_at)
        return token, key

    @classmethod
    def authenticate(cls, key: str):
        """The active user owning an unexpired `key`, or None. One read; last_used_at is
        written only when it is older than LAST_USED_PRECISION."""
        token = cls.objects.select_related("user").filter(key_hash=cls.hash_key(key)).first()
        if token is None or not token.user.is_active or token.is_expired:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= cls.LAST_USED_PRECISION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class KeyFingerprint(models.Model):
    """Fingerprint of a field-encryption key this database was written with (R-12.1).

    Active rows (retired_at empty) are the keys a process may encrypt with; during
    `yingke keys rotate` there are two. See core/fieldkey.py.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("field-key fingerprint")
        verbose_name_plural = _("field-key fingerprints")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.fingerprint[:12]


class AuditEvent(models.Model):
    """A sensitive read or an export (R-12.2): who, when, what, with which filters, how many rows.

    Changes to records are in their own change history (django-simple-history); this table
    holds what history cannot: exports, exact ID-number lookups, views of sensitive data.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("who"))
    username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40)
    target = models.CharField(_("what"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "action", "at"], name="audit_user_action_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target}"

    @classmethod
    def record(cls, user, action: str, target: str = "", rows=None, **details):
        from yingke.core.permissions import is_staff

        return cls.objects.create(user=user if is_staff(user) else None,
                                  username=getattr(user, "username", "") or "", action=action,
                                  target=target[:200], rows=rows, details=details)


class Notification(models.Model):
    """An in-app notification for one member of staff (escalations, approvals …). Its text is
    rendered when read, in the reader's language, by the renderer registered for its `kind`
    (core.notify); `key` makes sending idempotent: one row per user and key."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("for"))
    kind = models.CharField(_("kind"), max_length=40)
    key = models.CharField(max_length=120)
    args = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once")]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"
