"""{% file_flags rows as flags %} once per list (rows: customers, or search hits with
`.customer`), then {% show_flags flags c.pk %} in each row: the badges of customers.flags."""

from django import template
from django.utils.html import format_html_join

from yingke.customers.flags import flags_for

register = template.Library()


@register.simple_tag(takes_context=True)
def file_flags(context, rows) -> dict:
    ids = [getattr(getattr(r, "customer", r), "pk", None) for r in rows or []]
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return flags_for(user, ids)


@register.simple_tag
def show_flags(flags, pk) -> str:
    shown = (flags or {}).get(pk) or []
    return format_html_join(" ", '<span class="badge {} file-flag" title="{}">{}</span>',
                            ((f.css_class, f.title or f.label, f.label) for f in shown)) if shown else ""
