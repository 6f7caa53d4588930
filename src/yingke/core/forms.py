"""Form helpers shared by every app's pages."""

from django.core.exceptions import ValidationError
from django.db import transaction


def add_service_errors(form, error: ValidationError, field_map: dict | None = None) -> None:
    """Put the {field: [messages]} of a service's ValidationError onto `form`; a message for
    a field the form does not have goes to the top of the form."""
    field_map = field_map or {}
    items = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    for field, messages in items:
        name = field_map.get(field, field)
        if name not in form.fields:
            name = None
        for message in messages:
            form.add_error(name, message)


def run_service(form, fn, *args, field_map=None, **kwargs):
    """Run a service in a savepoint and return its result; on its ValidationError put the
    messages on `form` and return None (the savepoint is rolled back: nothing was saved)."""
    try:
        with transaction.atomic():
            return fn(*args, **kwargs)
    except ValidationError as e:
        add_service_errors(form, e, field_map)
        return None
