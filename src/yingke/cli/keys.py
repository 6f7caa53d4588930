"""`yingke keys check|rotate`: the field-encryption key and its fingerprint in the database (R-12.1).

Rotation, without stopping the web server (it re-reads the key file when it changes):
1. the old key file is copied to field_key.<fingerprint>.bak;
2. the new key's fingerprint is stored as active, then the key file is rewritten with the
   new key first and the old one second (both decrypt, the new one encrypts);
3. every stored value (history tables included) is re-encrypted with the new key and its
   blind index recomputed, in batches, each row only if it is unchanged meanwhile; passes
   repeat until one changes nothing;
4. the old fingerprint is retired, then the key file keeps the new key only.
Interrupted anywhere, `yingke keys rotate` again resumes (a key file with two keys) or starts over.
"""

import os
import stat

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.cli.main import CliError, say

BATCH = 500
MAX_PASSES = 5


def register(sub) -> None:
    """Add `keys …` to `sub`."""
    keys = sub.add_parser("keys", help=_("field-encryption key: check it, rotate it"),
                          description=_("The key that encrypts ID numbers lives in $YINGKE_HOME/field_key "
                                        "(or YINGKE_FIELD_KEY); the database stores its fingerprint. Back up "
                                        "the key file together with the database."))
    ksub = keys.add_subparsers(dest="action", required=True, metavar=_("action"))
    p = ksub.add_parser("check", aliases=["status"], help=_("say whether the key and the database agree"))
    p.set_defaults(handler=check)
    p = ksub.add_parser("rotate", help=_("re-encrypt every stored ID number with a new key (no downtime)"))
    p.set_defaults(handler=rotate)


def key_error(e) -> CliError:
    return CliError(str(e))


def check_before_migrate() -> None:
    """Refuse to migrate a database written with another key (when it has fingerprints yet)."""
    from django.db import connection

    from yingke.core import fieldkey
    from yingke.core.models import KeyFingerprint

    if KeyFingerprint._meta.db_table not in connection.introspection.table_names():
        return
    try:
        problem = fieldkey.mismatch(fieldkey.current(), fieldkey.active_fingerprints())
    except fieldkey.FieldKeyError as e:
        raise key_error(e) from None
    if problem:
        raise CliError(str(problem))


def ensure_after_migrate() -> None:
    """Set up the key of a new installation, adopt the key of an existing one, or check it."""
    from yingke.core import fieldkey

    try:
        ring, outcome = fieldkey.ensure()
    except fieldkey.FieldKeyError as e:
        raise key_error(e) from None
    fp = fieldkey.short(ring.fingerprints[0])
    if outcome == "created":
        say(_("Created a new field-encryption key in %(path)s (fingerprint %(fp)s). Back it up together with "
              "the database: without it the stored ID numbers cannot be read.")
            % {"path": fieldkey.key_path(), "fp": fp})
    elif outcome == "adopted":
        say(_("Recorded the fingerprint of the field-encryption key (%(fp)s) in the database.") % {"fp": fp})


def require_field_key() -> None:
    """For commands that read or write ID numbers: a migrated database and its own key."""
    from yingke.cli.admin import require_migrated
    from yingke.core import fieldkey

    require_migrated()
    try:
        fieldkey.verify()
    except fieldkey.FieldKeyError as e:
        raise key_error(e) from None


def _loose_permissions() -> list[str]:
    from yingke.home import PRIVATE_FILES, home_dir

    home = home_dir()
    found = []
    for path in [home, *(home / n for n in PRIVATE_FILES)]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append(f"{path} ({mode:o})")
    return found


def check(args) -> int:
    from yingke.cli.admin import require_migrated
    from yingke.core import fieldkey
    from yingke.core.models import KeyFingerprint

    require_migrated()
    try:
        ring = fieldkey.current()
    except fieldkey.FieldKeyError as e:
        raise key_error(e) from None
    active = fieldkey.active_fingerprints()
    if ring is None:
        say(_("Key: none (%(path)s does not exist)") % {"path": fieldkey.key_path()})
    else:
        say(_("Key: %(where)s, fingerprint %(fp)s") % {"where": fieldkey.source_label(ring.source),
                                                      "fp": fieldkey.short(ring.fingerprints[0])})
        for fp in ring.fingerprints[1:]:
            say(_("  also decrypts with the key with fingerprint %(fp)s (a rotation is not finished: run "
                  "“yingke keys rotate” again)") % {"fp": fieldkey.short(fp)})
    retired = KeyFingerprint.objects.filter(retired_at__isnull=False).count()
    say(_("Database: active fingerprint %(active)s; %(retired)d retired")
        % {"active": ", ".join(sorted(fieldkey.short(f) for f in active)) or "—", "retired": retired})
    for path in _loose_permissions():
        say(_("Warning: %(path)s can be read by other accounts; use mode 700 for the folder, 600 for files.")
            % {"path": path}, err=True)
    problem = fieldkey.mismatch(ring, active)
    if problem:
        raise CliError(str(problem))
    if not active:
        say(_("The database has no key fingerprint yet; “yingke migrate” records it."))
        return 0
    stored = unreadable = 0
    for model, enc, _hash in fieldkey.encrypted_fields():
        for token in model._default_manager.exclude(**{enc: ""}).values_list(enc, flat=True).iterator():
            stored += 1
            try:
                ring.decrypt(token)
            except Exception:
                unreadable += 1
    if unreadable:
        raise CliError(_("the key agrees with the database, but %(bad)d of %(n)d stored encrypted values cannot "
                         "be decrypted with it; they may stem from a key kept in a field_key.*.bak file.")
                       % {"bad": unreadable, "n": stored})
    say(_("The key and the database agree; all %(n)d stored encrypted values can be read.") % {"n": stored})
    return 0


def _reencrypt(ring) -> tuple[int, int]:
    """One pass over every encrypted field; returns (rows changed, values that cannot be decrypted)."""
    from yingke.core import fieldkey

    changed = unreadable = 0
    for model, enc, hash_field in fieldkey.encrypted_fields():
        manager = model._default_manager
        fields = ["pk", enc] + ([hash_field] if hash_field else [])
        last = None
        while True:
            qs = manager.exclude(**{enc: ""}).order_by("pk")
            if last is not None:
                qs = qs.filter(pk__gt=last)
            rows = list(qs.values_list(*fields)[:BATCH])
            if not rows:
                break
            last = rows[-1][0]
            with transaction.atomic():
                for row in rows:
                    pk, token, old_hash = row[0], row[1], (row[2] if hash_field else None)
                    try:
                        plain = ring.decrypt(token)
                    except Exception:
                        unreadable += 1
                        continue
                    update = {}
                    if not ring.decrypts_with_primary(token):
                        update[enc] = ring.encrypt(plain)
                    if hash_field and old_hash != ring.blind_index(plain):
                        update[hash_field] = ring.blind_index(plain)
                    # Only if nobody changed the row meanwhile; a later pass takes it otherwise.
                    if update and manager.filter(pk=pk, **{enc: token}).update(**update):
                        changed += 1
    return changed, unreadable


def rotate(args) -> int:
    from yingke.cli.admin import require_migrated
    from yingke.core import fieldkey
    from yingke.core.models import KeyFingerprint
    from yingke.home import new_key, write_private

    require_migrated()
    try:
        ring = fieldkey.current()
    except fieldkey.FieldKeyError as e:
        raise key_error(e) from None
    if ring is not None and ring.source == "environment":
        raise CliError(_("the key comes from YINGKE_FIELD_KEY, which this command cannot change. Put the key "
                         "into %(path)s (one line, mode 600), unset YINGKE_FIELD_KEY, restart, then rotate.")
                       % {"path": fieldkey.key_path()})
    active = fieldkey.active_fingerprints()
    problem = fieldkey.mismatch(ring, active)
    if problem:
        raise CliError(str(problem))
    if not active:
        raise CliError(_("the database has no key fingerprint yet; run “yingke migrate” first."))
    path = fieldkey.key_path()
    if len(ring.keys) == 1:
        old = ring.primary
        backup = path.with_name(f"{fieldkey.KEY_FILE}.{fieldkey.short(ring.fingerprints[0])}.bak")
        write_private(backup, old + "\n", replace=False)
        new = new_key(fieldkey.KEY_LENGTH)
        # The database accepts the new key before any process can use it.
        KeyFingerprint.objects.create(fingerprint=fieldkey.fingerprint(new), created_at=timezone.now())
        write_private(path, f"{new}\n{old}\n", replace=True)
        fieldkey.forget()
        say(_("New key %(new)s; the old key %(old)s is kept in %(backup)s. Re-encrypting …")
            % {"new": fieldkey.short(fieldkey.fingerprint(new)), "old": fieldkey.short(ring.fingerprints[0]),
               "backup": backup})
    else:
        say(_("Resuming the rotation to key %(new)s …") % {"new": fieldkey.short(ring.fingerprints[0])})
    ring = fieldkey.current()
    total = 0
    for _pass in range(MAX_PASSES):
        changed, unreadable = _reencrypt(ring)
        total += changed
        if not changed:
            break
    else:
        raise CliError(_("stored values kept changing during the rotation; run “yingke keys rotate” again."))
    with transaction.atomic():
        KeyFingerprint.objects.filter(retired_at__isnull=True).exclude(fingerprint=ring.fingerprints[0]) \
            .update(retired_at=timezone.now())
    write_private(path, ring.primary + "\n", replace=True)
    os.chmod(path, 0o600)
    fieldkey.forget()
    say(_("Re-encrypted %(n)d stored values; the database now uses only key %(fp)s.")
        % {"n": total, "fp": fieldkey.short(ring.fingerprints[0])})
    if unreadable:
        say(_("Warning: %(n)d stored values could not be decrypted with any key and were left as they are.")
            % {"n": unreadable}, err=True)
    return 0
