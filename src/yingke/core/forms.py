"""Form helpers shared by every app's pages."""

from django.core.exceptions import ValidationError


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
