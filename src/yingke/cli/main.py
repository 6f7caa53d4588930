"""`yingke` command line: thin adapters over the domain services."""

import argparse
import os
import sys


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingke.settings")
    import django

    django.setup()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="yingke")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    args = parser.parse_args(argv)
    setup_django()
    from django.core.management import call_command

    if args.command == "migrate":
        call_command("migrate", interactive=False, verbosity=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
