"""The customer list's filters and orderings, defined once (issue 11, point 6).

The UI list, its count and its export, and the API list all read their query string
through `CustomerFilterSet` (django-filter): one set of names, one validation, one
mapping to the query. It starts from `Customer.objects.visible_to(user)`, so a filter can
only narrow what the user may see (R-1.2). The UI renders `filterset.form` (selects whose
choices depend on the user, loaded only when the form is drawn); the API documents the
same filters from it (api.pagination.filter_parameters) and answers invalid values with a
422 naming the field.

    property    property code (case-insensitive)
    kind        person | org
    owner       me | none (the shared pool) | a user id
    tag         tag name (in any of the user's properties)
    has_mobile  yes | no
    gender      a gender code
    visits_min  at least this many visits (the consumption profile, R-2.3)
    spend_min, spend_max   total spend between (yuan)
    last_visit_after, last_visit_before   last visit on or after / on or before a date
    has_stays   yes | no
    grade       one or more of A, B, C, D, none (not graded yet), comma-separated or repeated (R-4)
    module      a customer module id, or none (no module) (R-5.1)
    overdue     yes | no: past the expected next visit (R-7.5) — expected_next_visit before the
                local today of the file's own property (each of the user's properties in its time
                zone); no = not overdue, files without a pattern included
    area        text the file's area contains (any case; spaces trimmed and collapsed; at most 50
                characters; control characters refused) (R-6.2)
    order       name | -created | created | code | -last_visit | last_visit | -spend | -visits | grade
                (the keyset ordering, not a filter; grade: A, B, C, D, then not graded, each by name)
"""

import dataclasses
import datetime as dt
from decimal import Decimal

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Case, F, IntegerField, Q, Subquery, Value, When
from django.db.models.fields.tuple_lookups import Tuple
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from yingke.core.models import Property, User
from yingke.core.pagination import Ordering, _RowAfter, _RowBefore
from yingke.core.permissions import assignable_owners, row_rule
from yingke.core.roles import PROPERTY_WIDE, Role
from yingke.core.services import plain
from yingke.customers.models import GRADES, Customer, Module, Tag


@dataclasses.dataclass(frozen=True)
class GradeOrdering(Ordering):
    """Grade A, B, C, D, then the files not graded yet (grade ''), each by name (pinyin), then id.

    The cursor is the paginator's [name, grade, id]; the name of the cursor's row is read back
    by a subquery, limited to the rows the user may see (`scope`, bound by the FilterSet), so a
    forged cursor naming a hidden file reveals nothing about it. The order puts '' last with a
    CASE, so the page is a top-N sort of the filtered rows rather than one index range (a filter
    by grade is one range of cust_prop_grade (property, grade, name_pinyin, id)).
    """

    scope: object = dataclasses.field(default=None, compare=False, hash=False)

    def order_by(self, backwards: bool = False) -> tuple:
        last = Case(When(grade="", then=Value(1)), default=Value(0), output_field=IntegerField())
        keys = (last, F("grade"), F("name_pinyin"), F("pk"))
        return tuple(k.desc() if backwards else k.asc() for k in keys)

    def after(self, value, pk, backwards: bool = False):
        rows = Customer.objects.filter(pk=pk)
        if self.scope is not None:
            rows = rows.filter(self.scope)
        name = Subquery(rows.values("name_pinyin")[:1])
        lookup = _RowBefore if backwards else _RowAfter
        graded, ungraded = ~Q(grade=""), Q(grade="")
        if value:  # a graded row
            row = lookup(Tuple(F("grade"), F("name_pinyin"), F("pk")), (value, name, pk))
            return (graded & Q(row)) if backwards else ((graded & Q(row)) | ungraded)
        row = lookup(Tuple(F("name_pinyin"), F("pk")), (name, pk))
        return (graded | (ungraded & Q(row))) if backwards else (ungraded & Q(row))

ORDERINGS = {o.name: o for o in (
    Ordering("name", "name_pinyin"),  # index (property, name_pinyin, id)
    Ordering("-created", "created_at", descending=True),  # index (property, -created_at, -id)
    Ordering("created", "created_at"),
    Ordering("code", "customer_code"),  # index (property, customer_code)
    # The consumption profile; indexes (property, key, id). Never-seen guests last.
    Ordering("-last_visit", "last_visit_at", descending=True, nullable=True),
    Ordering("last_visit", "last_visit_at", nullable=True),
    Ordering("-spend", "total_spend", descending=True),
    Ordering("-visits", "visit_count", descending=True),
    GradeOrdering("grade", "grade"),  # A first; see GradeOrdering
)}
DEFAULT_ORDER = "name"
ORDER_CHOICES = [
    ("name", _("Name (pinyin)")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("code", _("Customer code")),
    ("-last_visit", _("Most recent visit first")),
    ("last_visit", _("Longest since the last visit")),
    ("-spend", _("Highest total spend")),
    ("-visits", _("Most visits")),
    ("grade", _("Grade (A first)")),
]
NOT_GRADED = "none"
GRADE_VALUES = [*GRADES, NOT_GRADED]
GRADE_CHOICES = [*((g, g) for g in GRADES), (NOT_GRADED, _("Not graded yet"))]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# Staff whose files a property-wide role finds in the owner filter.
FILE_OWNERS = [Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER]


class OneOfField(forms.ChoiceField):
    """A choice whose error lists the accepted values (the API's wording), and which shows
    `blank` as the empty option in the UI."""

    def __init__(self, *, choices, blank=None, **kwargs):
        self.values = [str(v) for v, _label in choices]
        super().__init__(choices=([("", blank)] if blank else []) + list(choices), **kwargs)

    def validate(self, value):
        forms.Field.validate(self, value)
        if value and value not in self.values:
            raise forms.ValidationError(_("Choose one of: %(choices)s."), code="invalid_choice",
                                        params={"choices": ", ".join(self.values)})


class OneOf(django_filters.Filter):
    field_class = OneOfField


def filterable_owners(user, property_ids):
    """Owners offered in the list filter: whoever owns files the user may see."""
    if user.role in PROPERTY_WIDE:
        staff = User.objects.filter(role__in=FILE_OWNERS, properties__in=property_ids).distinct()
    else:
        ids = set()
        for prop in Property.objects.filter(pk__in=property_ids):
            ids.update(assignable_owners(user, prop).values_list("pk", flat=True))
        staff = User.objects.filter(pk__in=ids)
    return staff.order_by("display_name", "username")


class _Once(BaseChoiceIterator):
    """Choices read from the database when first iterated, once (a Select iterates twice)."""

    def __init__(self, load):
        self.load, self.items = load, None

    def __iter__(self):
        if self.items is None:
            self.items = list(self.load())
        return iter(self.items)


class FilterForm(forms.Form):
    def has_filters(self) -> bool:
        """Whether anything narrows the list (the sort does not)."""
        if not self.is_bound:
            return False
        return any(self.data.get(name) for name in self.fields if name != "order")


class TextNumberField(forms.CharField):
    """A number typed as text, checked by a pattern (which the API documents) and then read:
    whole numbers as int, others as Decimal."""

    def __init__(self, *, pattern, message, whole=False, **kwargs):
        super().__init__(validators=[RegexValidator(pattern, message)], **kwargs)
        self.whole = whole

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        return int(value) if self.whole else Decimal(value)


class TextDateField(forms.CharField):
    """A date written YYYY-MM-DD (pattern in the API document); an impossible date is refused."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(_("Enter a valid date (YYYY-MM-DD).")) from None


class GradesWidget(forms.CheckboxSelectMultiple):
    """Checkboxes A B C D and "not graded" that send `grade=A&grade=B`; the field reads them,
    or the API's `grade=A,B`, as one comma-separated text."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return ",".join(v for v in values if v) or None

    def format_value(self, value):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return super().format_value(value)


class GradesField(forms.CharField):
    widget = GradesWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", GradesWidget(choices=GRADE_CHOICES))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return sorted({v.strip() for v in value.split(",") if v.strip()}) if value else []


class GradeFilter(django_filters.Filter):
    field_class = GradesField


GRADE_PATTERN = r"\A(A|B|C|D|none)(,(A|B|C|D|none)){0,4}\Z"


class TextNumber(django_filters.Filter):
    field_class = TextNumberField


class TextDate(django_filters.Filter):
    field_class = TextDateField


WHOLE = r"\A[0-9]{1,9}\Z"
MONEY = r"\A-?[0-9]{1,12}(\.[0-9]{1,2})?\Z"
# Years 1900–2100 only: a day at the calendar's ends (0001-01-01, 9999-12-31) would overflow
# when turned into local midnight or the next day.
DATE = r"\A(?:19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}\Z"
DATE_MESSAGE = _("Enter a date from 1900 to 2100 (YYYY-MM-DD).")


AREA_MAX = Customer._meta.get_field("area").max_length


def plain_text(value):
    if value and not plain(value):
        raise forms.ValidationError(_("Remove the control characters or invalid symbols."), code="invalid")


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class CustomerFilterSet(django_filters.FilterSet):
    property = django_filters.CharFilter(
        field_name="property__code", lookup_expr="iexact", max_length=20, strip=False, label=_("Property"),
        help_text=_("Property code."))
    kind = OneOf(choices=Customer.Kind.choices, blank=_("All"), label=_("Type"))
    owner = django_filters.CharFilter(
        method="filter_owner", max_length=20, strip=False, label=_("Account manager"),
        validators=[RegexValidator(r"\A(me|none|[0-9]{1,18})\Z", _("Use 'me', 'none' or a user id."))],
        help_text=_("'me', 'none' (the shared pool) or a user id."))
    tag = django_filters.CharFilter(field_name="tags__name", max_length=30, strip=False, label=_("Tag"),
                                    help_text=_("Tag name."))
    has_mobile = OneOf(choices=YES_NO, blank=_("Any"), method="filter_has_mobile", label=_("Has mobile"))
    gender = OneOf(choices=Customer.Gender.choices, blank=_("Any"), label=_("Gender"))
    # The consumption profile: stored on the file, so each filter is one indexed column.
    visits_min = TextNumber(field_name="visit_count", lookup_expr="gte", max_length=9, strip=False, whole=True,
                            pattern=WHOLE, message=_("Enter a whole number."), label=_("Visits at least"),
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
                            help_text=_("At least this many visits."))
    spend_min = TextNumber(field_name="total_spend", lookup_expr="gte", max_length=16, strip=False,
                           pattern=MONEY, message=_("Enter an amount such as 1000 or 1000.50."),
                           label=_("Spend from"), widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 7}),
                           help_text=_("Total spend at least (yuan)."))
    spend_max = TextNumber(field_name="total_spend", lookup_expr="lte", max_length=16, strip=False,
                           pattern=MONEY, message=_("Enter an amount such as 1000 or 1000.50."),
                           label=_("Spend to"), widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 7}),
                           help_text=_("Total spend at most (yuan)."))
    last_visit_after = TextDate(method="filter_last_after", max_length=10, strip=False,
                                validators=[RegexValidator(DATE, DATE_MESSAGE)],
                                label=_("Last visit from"), widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("Last visit on or after this date (YYYY-MM-DD)."))
    last_visit_before = TextDate(method="filter_last_before", max_length=10, strip=False,
                                 validators=[RegexValidator(DATE, DATE_MESSAGE)],
                                 label=_("Last visit to"), widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Last visit on or before this date (YYYY-MM-DD)."))
    has_stays = OneOf(choices=YES_NO, blank=_("Any"), method="filter_has_stays", label=_("Has stayed"))
    grade = GradeFilter(method="filter_grade", max_length=40, strip=False, label=_("Grade"),
                        validators=[RegexValidator(GRADE_PATTERN, _("Use A, B, C, D or none, separated by commas."))],
                        help_text=_("Grades A, B, C, D or none (not graded yet); several separated by commas."))
    module = django_filters.CharFilter(
        method="filter_module", max_length=20, strip=False, label=_("Customer module"),
        validators=[RegexValidator(r"\A(none|[0-9]{1,18})\Z", _("Use a module id or 'none'."))],
        help_text=_("A customer module id, or 'none' (no module)."))
    # The behaviour pattern: expected_next_visit is stored, "overdue" is read against today.
    overdue = OneOf(choices=YES_NO, blank=_("Any"), method="filter_overdue", label=_("Overdue"),
                    help_text=_("Past the expected next visit (yes) or not (no)."))
    area = django_filters.CharFilter(
        method="filter_area", max_length=AREA_MAX, strip=False, label=_("Area"), validators=[plain_text],
        help_text=_("Part of the customer's area (any case)."))
    order = OneOf(choices=ORDER_CHOICES, method="keep", label=_("Sort by"),
                  help_text=_("The order of the list; pages follow it by keyset cursor."))

    class Meta:
        model = Customer
        fields = []
        form = FilterForm

    def __init__(self, data=None, *, user, ui=False):
        super().__init__(data or None, queryset=Customer.objects.visible_to(user))
        self.user = user
        self.several_properties = len(user.property_ids()) > 1
        if ui:
            self._ui_widgets()

    # ---- the UI's selects (choices are read only when the form is drawn) ----------------

    def _ui_widgets(self):
        user, ids = self.user, self.user.property_ids()
        # The template draws the property filter only for users of several properties.
        self._select("property", lambda: [("", _("All properties"))] + [
            (p.code, str(p)) for p in Property.objects.filter(pk__in=ids).order_by("code")])
        self._select("owner", lambda: [("", _("Anyone")), ("none", _("Unassigned (shared pool)"))] + [
            (str(u.pk), u.label) for u in filterable_owners(user, ids)])
        self._select("tag", lambda: [("", _("Any"))] + [
            (name, name) for name in
            Tag.objects.filter(property_id__in=ids).order_by("name").values_list("name", flat=True).distinct()])

        self._select("module", lambda: [("", _("Any")), ("none", _("No module"))] + [
            (str(m.pk), f"{m.name} ({m.property.code})" if self.several_properties else m.name)
            for m in Module.objects.filter(property_id__in=ids).select_related("property")
            .order_by("property__code", "sort_order", "id")])

    def _select(self, name, choices):
        self.filters[name].extra["widget"] = forms.Select(choices=_Once(choices))

    # ---- filters ---------------------------------------------------------------------

    def filter_owner(self, qs, _name, value):
        if value == "me":
            return qs.filter(owner=self.user)
        if value == "none":
            return qs.filter(owner__isnull=True)
        return qs.filter(owner_id=int(value))

    def filter_has_mobile(self, qs, _name, value):
        return qs.exclude(mobile="") if value == "yes" else qs.filter(mobile="")

    def filter_has_stays(self, qs, _name, value):
        return qs.filter(stay_count__gt=0) if value == "yes" else qs.filter(stay_count=0)

    def filter_last_after(self, qs, _name, value):
        return qs.filter(last_visit_at__gte=_local_midnight(value))

    def filter_last_before(self, qs, _name, value):
        return qs.filter(last_visit_at__lt=_local_midnight(value + dt.timedelta(days=1)))

    def filter_grade(self, qs, _name, values):
        if not values:
            return qs
        grades = ["" if v == NOT_GRADED else v for v in values]
        return qs.filter(grade__in=grades) if len(grades) > 1 else qs.filter(grade=grades[0])

    def filter_module(self, qs, _name, value):
        if value == "none":
            return qs.filter(module__isnull=True)
        return qs.filter(module_id=int(value))

    def filter_overdue(self, qs, _name, value):
        """Overdue: expected_next_visit before the local today of the file's property — one
        condition per distinct local today among the user's properties (usually one)."""
        by_today: dict[dt.date, list[int]] = {}
        for prop in Property.objects.filter(pk__in=self.user.property_ids()).only("pk", "time_zone"):
            by_today.setdefault(prop.local_today(), []).append(prop.pk)
        overdue = Q(pk__in=[])
        for today, ids in by_today.items():
            overdue |= Q(property_id__in=ids, expected_next_visit__lt=today)
        if value == "yes":
            return qs.filter(overdue)
        return qs.exclude(overdue)  # the IS NULL rows stay: exclude() keeps them for a nullable field

    def filter_area(self, qs, _name, value):
        text = " ".join(value.split())
        return qs.filter(area__icontains=text) if text else qs

    def keep(self, qs, _name, _value):
        return qs  # the paginator orders (see ordering())

    # ---- for views and endpoints -------------------------------------------------------

    def invalid(self) -> bool:
        """Bound with a value that did not validate (unbound is valid: no filter)."""
        return self.is_bound and not self.is_valid()

    def ordering(self) -> Ordering:
        value = self.form.cleaned_data.get("order") if self.is_bound and self.is_valid() else ""
        ordering = ORDERINGS[value or DEFAULT_ORDER]
        if isinstance(ordering, GradeOrdering):  # the cursor's name is read within the user's rows
            ordering = dataclasses.replace(ordering, scope=row_rule(self.user))
        return ordering

    def applied(self) -> dict:
        """The valid, non-empty values (for the audit of an export)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.form.cleaned_data.items() if v not in ("", None, [])}
