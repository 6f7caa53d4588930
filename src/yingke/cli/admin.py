"""migrate, property, user and token commands."""

import getpass
import secrets
import sys

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.cli.main import CliError, say

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 14


def database_label() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {s['NAME']}"
    return f"{connection.vendor} {s.get('HOST') or 'localhost'}:{s.get('PORT') or ''}/{s['NAME']}".replace(":/", "/")


def pending_migrations() -> list:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def run_migrations(quiet: bool = False) -> int:
    """Migrate, refusing a database written with another field-encryption key (R-12.1)
    and setting up the key of a new installation."""
    from django.core.management import call_command

    from yingke.cli.keys import check_before_migrate, ensure_after_migrate

    check_before_migrate()
    count = len(pending_migrations())
    if count:
        call_command("migrate", interactive=False, verbosity=0)
    if not quiet or count:
        if count:
            say(_("Applied %(count)d database migrations (%(db)s).") % {"count": count, "db": database_label()})
        else:
            say(_("The database is up to date (%(db)s).") % {"db": database_label()})
    ensure_after_migrate()
    return count


def require_migrated() -> None:
    if pending_migrations():
        raise CliError(_("the database (%(db)s) is not up to date; run “yingke migrate” first.")
                       % {"db": database_label()})


def get_property(code: str):
    from yingke.core.models import Property

    prop = Property.objects.filter(code=code).first() or Property.objects.filter(code__iexact=code).first()
    if prop is None:
        codes = ", ".join(Property.objects.values_list("code", flat=True)) or "—"
        raise CliError(_("unknown property “%(code)s” (known: %(codes)s).") % {"code": code, "codes": codes})
    return prop


def get_user(username: str):
    from yingke.core.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CliError(_("unknown user “%(username)s”.") % {"username": username})
    return user


def first_error(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" if field != "__all__" else " ".join(msgs)
                         for field, msgs in error.message_dict.items())
    return " ".join(error.messages)


def migrate(args) -> int:
    run_migrations()
    return 0


def property_add(args) -> int:
    from yingke.core.models import Property

    require_migrated()
    if Property.objects.filter(code__iexact=args.code).exists():
        raise CliError(_("a property with code “%(code)s” already exists.") % {"code": args.code})
    prop = Property(code=args.code, name=args.name.strip(), kind=args.kind)
    try:
        prop.full_clean()
    except ValidationError as e:
        raise CliError(first_error(e)) from None
    prop.save()
    say(_("Created property %(code)s: %(name)s (%(kind)s).")
        % {"code": prop.code, "name": prop.name, "kind": prop.get_kind_display()})
    return 0


def property_list(args) -> int:
    from yingke.core.models import Property

    require_migrated()
    for prop in Property.objects.all():
        say(f"{prop.code}\t{prop.name}\t{prop.get_kind_display()}")
    return 0


def password_problem(password: str, user) -> str | None:
    """The password rules of settings.AUTH_PASSWORD_VALIDATORS, as one message (or None)."""
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as e:
        return " ".join(e.messages)
    return None


def generate_password(user) -> str:
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GENERATED_LENGTH))
        if password_problem(password, user) is None:
            return password


def ask_password(user) -> str:
    for _attempt in range(3):
        first = getpass.getpass(_("Password: "))
        second = getpass.getpass(_("Password (again): "))
        problem = password_problem(first, user)
        if first != second:
            say(_("The passwords differ; try again."), err=True)
        elif problem:
            say(problem, err=True)
        else:
            return first
    raise CliError(_("no password given."))


def user_add(args) -> int:
    from yingke.core.models import User
    from yingke.core.roles import Role

    require_migrated()
    if User.objects.filter(username__iexact=args.username).exists():
        raise CliError(_("a user named “%(username)s” already exists.") % {"username": args.username})
    props = [get_property(code) for code in dict.fromkeys(args.property)]
    manager = get_user(args.manager) if args.manager else None
    if manager is not None and manager.role != Role.SALES_MANAGER:
        raise CliError(_("“%(username)s” is not a sales manager.") % {"username": manager.username})
    user = User(username=args.username, role=args.role, display_name=args.name.strip(), manager=manager)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as e:
        raise CliError(first_error(e)) from None
    generated = False
    password = args.password
    if password is None:
        if sys.stdin.isatty():
            password = ask_password(user)
        else:
            password, generated = generate_password(user), True
    problem = password_problem(password, user)  # length, common, like the user name, digits
    if problem:
        raise CliError(_("the password is not accepted: %(reason)s") % {"reason": problem})
    with transaction.atomic():
        user.set_password(password)
        user.save()
        user.properties.set(props)
    say(_("Created user %(username)s (%(role)s) for %(properties)s.")
        % {"username": user.username, "role": user.get_role_display(),
           "properties": ", ".join(p.code for p in props)})
    if generated:
        say(_("Generated password: %(password)s") % {"password": password})
    return 0


def token_add(args) -> int:
    from yingke.core.models import ApiToken

    require_migrated()
    user = get_user(args.username)
    if not user.is_active:
        raise CliError(_("user “%(username)s” is deactivated.") % {"username": user.username})
    days = getattr(args, "expires_in_days", None)
    try:
        token, key = ApiToken.issue(user, name=args.name, expires_in_days=days)
    except ValidationError as e:
        raise CliError(" ".join(e.messages)) from None
    say(_("New API key for %(username)s; it is shown only this once:") % {"username": user.username}, err=True)
    if token.expires_at:
        say(_("It expires on %(date)s.") % {"date": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")},
            err=True)
    say(key)
    return 0
