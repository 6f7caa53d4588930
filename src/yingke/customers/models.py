"""The guest history file (客史档案, R-2.x)."""

import builtins
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yingke.core.fields import KeyField
from yingke.core.models import Outlet, Property, User, code_validator
from yingke.customers.queries import CustomerQuerySet, RelatedToCustomerQuerySet


def validate_birth_date(value):
    if not dt.date(1900, 1, 1) <= value <= timezone.localdate():
        raise ValidationError(_("Enter a date of birth between 1900 and today."), code="birth_date")


class Tag(models.Model):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="tags", verbose_name=_("property"))
    name = models.CharField(_("name"), max_length=30)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["property", "name"], name="tag_unique_per_property")]

    def __str__(self):
        return self.name


class GroupAccount(models.Model):
    """A customer of the whole group (R-1.1), e.g. a corporation that deals with several
    properties. Each property keeps its own file (code, owner, visits, notes), and the files
    are linked here so that the group-level relationship can be seen."""

    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("group account")
        verbose_name_plural = _("group accounts")

    def __str__(self):
        return self.name


class Module(models.Model):
    """A customer module (客户模块, R-5.1): the segment a customer belongs to by the nature of
    their business (government, state-owned enterprise, …). Configurable per property; the six
    defaults of R-5.1 are created with each property. `natures` lists the organisation natures
    (Customer.Nature values, and "person" for individuals) for which this module is suggested."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="modules", verbose_name=_("property"))
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("name"), max_length=50)
    occasions = models.CharField(_("typical occasions"), max_length=200, blank=True,
                                 help_text=_("Separate occasions with commas, e.g. 被宴请, 政务接待."))
    natures = models.CharField(_("suggested for"), max_length=100, blank=True, editable=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer module")
        verbose_name_plural = _("customer modules")
        ordering = ["property", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="module_code_unique_per_property"),
            models.UniqueConstraint(fields=["property", "name"], name="module_name_unique_per_property"),
        ]

    def __str__(self):
        return self.name


# Derived from visits; written only by visits.profile, kept out of the change history.
PROFILE_FIELDS = ["visit_count", "total_spend", "average_spend", "first_visit_at", "last_visit_at", "stay_count",
                  "nights", "refund_count", "refund_total", "consumption"]
# Written only by grading runs and overrides; a grade's history is the run snapshots
# and the override records (grading app), not one history row per customer per run.
GRADE_FIELDS = ["grade", "grade_computed"]
# The behaviour pattern, derived from visits by control.pattern: not in the history.
PATTERN_FIELDS = ["usual_interval", "usual_weekday", "usual_meal_period", "expected_next_visit"]
GRADES = ["A", "B", "C", "D"]


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "org", _("Organisation")

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class IdType(models.TextChoices):
        RESIDENT = "resident", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        HK_MACAU = "hkmo", _("Mainland travel permit (HK/Macau)")
        TAIWAN = "tw", _("Mainland travel permit (Taiwan)")
        OTHER = "other", _("Other")

    class Marital(models.TextChoices):
        SINGLE = "single", _("Single")
        MARRIED = "married", _("Married")
        OTHER = "other", _("Other")

    class Nature(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        SOE = "soe", _("State-owned enterprise")
        INSTITUTION = "institution", _("Public institution")
        PRIVATE = "private", _("Private enterprise")
        FOREIGN = "foreign", _("Foreign-invested enterprise")
        OTHER = "other", _("Other")

    # no index of its own on property or owner: the composite indexes below lead with them
    # (every index is paid for on each insert and on each profile refresh)
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="customers",
                                 verbose_name=_("property"), db_index=False)
    customer_code = models.CharField(_("customer code"), max_length=30)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    # Primary pinyin reading (surname-aware), used for sorting by name.
    name_pinyin = KeyField(_("pinyin"), max_length=200, blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True, validators=[validate_birth_date])
    nationality = models.CharField(_("nationality"), max_length=50, blank=True, default="中国")
    id_type = models.CharField(_("ID type"), max_length=10, choices=IdType.choices, blank=True)
    # The ID number itself is only stored encrypted; see customers/crypto.py.
    id_number_enc = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=40, blank=True, editable=False)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    mobile_last4 = models.CharField(max_length=4, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=50, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=10, choices=Marital.choices, blank=True)
    card_no = models.CharField(_("card number"), max_length=30, blank=True)
    # Organisation fields.
    nature = models.CharField(_("nature"), max_length=20, choices=Nature.choices, blank=True)
    business = models.CharField(_("business"), max_length=100, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    main_needs = models.TextField(_("main needs"), blank=True)
    agreed_room_rate = models.DecimalField(_("agreed room rate"), max_digits=10, decimal_places=2, null=True, blank=True,
                                           validators=[MinValueValidator(Decimal("0"))])
    discount_rate = models.DecimalField(
        _("discount rate"), max_digits=4, decimal_places=3, null=True, blank=True,
        # xgettext:no-python-format
        help_text=_("0.85 means 15 % off."),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
    )
    payment_method = models.CharField(_("payment method"), max_length=50, blank=True)
    credit_terms = models.CharField(_("credit terms"), max_length=100, blank=True)
    # Personal profile (个性信息, R-2.4); structured preferences are in Preference.
    temperament = models.CharField(_("temperament"), max_length=100, blank=True)
    hobbies = models.CharField(_("hobbies"), max_length=200, blank=True)
    habits = models.CharField(_("habits"), max_length=200, blank=True)
    religion = models.CharField(_("religion"), max_length=50, blank=True)
    taboos = models.CharField(_("taboos"), max_length=200, blank=True)
    special_requests = models.TextField(_("special requests"), blank=True)
    # Responsibility: at most one owner per customer of a property.
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_customers",
        verbose_name=_("account manager"), db_index=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    group_account = models.ForeignKey(
        GroupAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="files",
        verbose_name=_("group account"), editable=False,
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Consumption profile (消费特征, R-2.3): derived from the file's visits and stays (voided
    # ones excluded) by visits.profile after every import or edit; never typed in.
    visit_count = models.PositiveIntegerField(_("visits"), default=0, editable=False)
    total_spend = models.DecimalField(_("total spend"), max_digits=14, decimal_places=2, default=Decimal("0"),
                                      editable=False)
    average_spend = models.DecimalField(_("average spend"), max_digits=12, decimal_places=2, default=Decimal("0"),
                                        editable=False)
    first_visit_at = models.DateTimeField(_("first visit"), null=True, blank=True, editable=False)
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True, editable=False)
    stay_count = models.PositiveIntegerField(_("stays"), default=0, editable=False)
    nights = models.PositiveIntegerField(_("nights"), default=0, editable=False)
    refund_count = models.PositiveIntegerField(_("refunds"), default=0, editable=False)
    refund_total = models.DecimalField(_("refunded"), max_digits=14, decimal_places=2, default=Decimal("0"),
                                       editable=False)
    # {"room_types": [[name, count], …], "outlets": [[name, count], …], "channels": [[name, count], …]}
    consumption = models.JSONField(_("consumption"), default=dict, blank=True, editable=False)
    # Grading: `grade_computed` is the last run's grade, `grade` the one in force (a
    # general manager's override when there is one, else the computed grade); blank before
    # the first run of the property.
    grade = models.CharField(_("grade"), max_length=1, blank=True, editable=False,
                             choices=[(g, g) for g in GRADES])
    grade_computed = models.CharField(_("computed grade"), max_length=1, blank=True, editable=False,
                                      choices=[(g, g) for g in GRADES])
    module = models.ForeignKey(Module, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers",
                               verbose_name=_("customer module"))
    # Where the customer is (district, business area): the assignment rules match it with the
    # areas of the account managers.
    area = models.CharField(_("area"), max_length=50, blank=True)
    # Behaviour pattern, computed set-based from the visits by control.pattern: the
    # median interval between visiting days, the usual weekday (0 = Monday) and meal period,
    # and the expected next visit (local date of the last visit + the usual interval); empty
    # with fewer than two visiting days.
    usual_interval = models.PositiveIntegerField(_("usual interval (days)"), null=True, blank=True, editable=False)
    usual_weekday = models.PositiveSmallIntegerField(_("usual weekday"), null=True, blank=True, editable=False)
    usual_meal_period = models.CharField(_("usual meal period"), max_length=12, blank=True, editable=False)
    expected_next_visit = models.DateField(_("expected next visit"), null=True, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["id_number_enc", "name_pinyin", "mobile_last4", "updated_at", *PROFILE_FIELDS,
                         *GRADE_FIELDS, *PATTERN_FIELDS],
        m2m_fields=["tags"],
    )
    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["property", "customer_code"], name="customer_code_unique_per_property",
                violation_error_message=_("This customer code is already used in this property."),
            ),
        ]
        indexes = [
            models.Index(fields=["property", "name_pinyin", "id"], name="cust_prop_pinyin"),
            models.Index(fields=["property", "-created_at", "-id"], name="cust_prop_created"),
            models.Index(fields=["owner", "name_pinyin", "id"], name="cust_owner_pinyin"),
            models.Index(fields=["property", "kind", "name_pinyin", "id"], name="cust_prop_kind_pinyin"),
            models.Index(fields=["property", "last_visit_at", "id"], name="cust_prop_last_visit"),
            models.Index(fields=["property", "total_spend", "id"], name="cust_prop_spend"),
            models.Index(fields=["property", "visit_count", "id"], name="cust_prop_visit_count"),
            models.Index(fields=["property", "grade", "name_pinyin", "id"], name="cust_prop_grade"),
            models.Index(fields=["owner", "expected_next_visit"], name="cust_owner_expected"),
            # exact look-ups only (Meta indexes: no varchar_pattern_ops twin on PostgreSQL, which
            # db_index=True adds for LIKE, never asked for here); a code is looked up through the
            # unique constraint's index
            models.Index(fields=["mobile"], name="cust_mobile"),
            models.Index(fields=["mobile_last4"], name="cust_mobile_last4"),
            models.Index(fields=["card_no"], name="cust_card_no"),
            models.Index(fields=["id_number_hash"], name="cust_id_hash"),
        ]

    def __str__(self):
        return f"{self.name} ({self.customer_code})"

    @builtins.property
    def is_organisation(self):
        return self.kind == self.Kind.ORGANISATION

    @builtins.property
    def mobile_masked(self):
        from yingke.customers.identity import mask_mobile

        return mask_mobile(self.mobile)


class ContactLink(models.Model):
    """A contact person of an organisation; the person has a file of their own (R-2.1)."""

    organisation = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_links",
                                     verbose_name=_("organisation"))
    person = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="organisation_links",
                               verbose_name=_("contact person"))
    title = models.CharField(_("position"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("main contact"), default=False)

    history = HistoricalRecords()
    customer_path = "organisation"
    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact people")
        constraints = [models.UniqueConstraint(fields=["organisation", "person"], name="contact_unique")]

    def __str__(self):
        return f"{self.person.name} @ {self.organisation.name}"


class Preference(models.Model):
    """A structured preference (R-2.4): category + value, printable on an arrival list."""

    class Category(models.TextChoices):
        PILLOW = "pillow", _("Pillow")
        MATTRESS = "mattress", _("Mattress")
        TOILETRIES = "toiletries", _("Toiletries")
        ROOM_TEMPERATURE = "room_temp", _("Room temperature")
        BATH_TEMPERATURE = "bath_temp", _("Bath water temperature")
        LIGHTING = "lighting", _("Lighting")
        TV_READING = "tv_reading", _("TV / reading")
        HYGIENE = "hygiene", _("Hygiene")
        ROOM_OTHER = "room_other", _("Room: other")
        DIET_TABOO = "diet_taboo", _("Dietary taboo")
        ALLERGY = "allergy", _("Allergy")
        TASTE = "taste", _("Taste")
        TEA = "tea", _("Tea")
        COFFEE = "coffee", _("Coffee")
        ALCOHOL = "alcohol", _("Alcohol")
        PRIVATE_ROOM = "private_room", _("Private dining room")
        DINING_OTHER = "dining_other", _("Dining: other")

    ROOM = {"pillow", "mattress", "toiletries", "room_temp", "bath_temp", "lighting", "tv_reading", "hygiene",
            "room_other"}

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="preferences",
                                 verbose_name=_("customer"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    value = models.CharField(_("preference"), max_length=200)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        ordering = ["category", "id"]
        indexes = [models.Index(fields=["category", "value"], name="pref_cat_value")]

    def __str__(self):
        return f"{self.get_category_display()}: {self.value}"


class SpecialDate(models.Model):
    """A date to remember (R-2.5); lunar dates recur by the lunar calendar."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        WEDDING = "wedding", _("Wedding anniversary")
        COMPANY = "company", _("Company anniversary")
        SCHOOL = "school", _("Child's school admission")
        CUSTOM = "custom", _("Other")

    class Calendar(models.TextChoices):
        SOLAR = "solar", _("Solar (Gregorian)")
        LUNAR = "lunar", _("Lunar (农历)")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="special_dates",
                                 verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BIRTHDAY)
    label = models.CharField(_("label"), max_length=50, blank=True)
    calendar = models.CharField(_("calendar"), max_length=5, choices=Calendar.choices, default=Calendar.SOLAR)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    leap_month = models.BooleanField(_("leap month"), default=False)
    remind_days = models.PositiveSmallIntegerField(_("remind days ahead"), default=7,
                                                   validators=[MaxValueValidator(60)])
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("recorded by"), editable=False)

    history = HistoricalRecords()
    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("special date")
        verbose_name_plural = _("special dates")
        ordering = ["month", "day"]
        indexes = [models.Index(fields=["calendar", "month", "day"], name="sdate_cal_md")]

    def __str__(self):
        from yingke.customers.lunar import describe

        return f"{self.label or self.get_kind_display()} {describe(self)}"


class Note(models.Model):
    """Feedback and notes on the file (R-2.6), added by any department."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        PRAISE = "praise", _("Praise")
        CRITICISM = "criticism", _("Criticism")
        SUGGESTION = "suggestion", _("Suggestion")
        COMPLAINT = "complaint", _("Complaint")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes", verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField(_("text"))
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("outlet"))
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("author"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()
    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="note_cust_created")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:30]}"


class SearchKey(models.Model):
    """One way to find a customer from the search box (R-2.7): pinyin readings, initials, name.

    Mobile, card number and ID are looked up on Customer itself (exact and indexed).
    """

    class Kind(models.IntegerChoices):
        NAME = 1
        PINYIN = 2
        INITIALS = 3
        PINYIN_OTHER = 4  # another reading of a polyphonic character
        INITIALS_OTHER = 5
        NAME_PART = 6  # a later part of the name: 三丰 and 丰 for 张三丰

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="search_keys")
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    key = KeyField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["key", "kind", "property", "customer"], name="searchkey_key_kind_prop")]

    def __str__(self):
        return f"{self.key} ({self.get_kind_display()})"


class MergeRecord(models.Model):
    """A file merged into another (R-2.8). The merged-away file is gone; its id and code
    answer with the survivor (URL and API), and this row says who merged what, when."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    merged_id = models.BigIntegerField(_("merged file id"), unique=True)
    merged_code = models.CharField(_("merged file code"), max_length=30)
    merged_name = models.CharField(_("merged file name"), max_length=100)
    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merged_from",
                                 verbose_name=_("kept file"))
    merged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("merged by"))
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    # field name → "kept" | "merged": whose value the survivor carries after the merge
    choices = models.JSONField(default=dict, blank=True)
    # relation label → number of rows moved to the survivor
    moved = models.JSONField(default=dict, blank=True)
    # the merged-away file's regular information as it was (ID number masked, never in clear)
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        return f"{self.merged_code} → {self.survivor_id}"


class DuplicateDismissal(models.Model):
    """Two files someone checked and found to be different people (R-2.8); the pair is not
    proposed again. customer_a is always the lower id."""

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer_a", "customer_b"], name="duplicate_dismissal_unique_pair"),
            models.CheckConstraint(condition=models.Q(customer_a__lt=models.F("customer_b")),
                                   name="duplicate_dismissal_ordered_pair"),
        ]

    def __str__(self):
        return f"{self.customer_a_id} ≠ {self.customer_b_id}"
