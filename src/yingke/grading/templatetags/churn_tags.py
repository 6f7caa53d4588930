"""Churn on the 360 page (R-9.1) and the small helpers of the module and churn reports.

`{% load churn_tags %}{% customer_losses customer request.user %}` shows the file's open loss
(with the form to record why, when the user may change the file) and its past losses; nothing
when the file was never lost. Two queries: the losses, the reasons of the form.
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from yingke.grading import churn
from yingke.grading.forms_segments import ExplainForm

register = template.Library()


@register.inclusion_tag("grading/_loss_panel.html", takes_context=True)
def customer_losses(context, customer, user):
    losses = churn.customer_losses(user, customer) if customer is not None and customer.pk else []
    current = next((loss for loss in losses if loss.won_back_on is None), None)
    may_explain = bool(losses) and churn.may_explain(user, losses[0])
    form = ExplainForm(loss=current) if current is not None and may_explain else None
    return {"losses": losses, "current": current, "past": [loss for loss in losses if loss is not current],
            "may_explain": may_explain, "form": form, "customer": customer,
            "next": reverse("customers:detail", args=[customer.pk]) + "#grade" if customer is not None else "",
            "csrf_token": context.get("csrf_token")}


@register.simple_tag
def change(absolute, percent):
    """+12 (+8.5 %), −3 (−20.0 %), 0; the percentage only when there was something before."""
    if absolute is None:
        return "—"
    sign = "+" if absolute > 0 else ("−" if absolute < 0 else "")
    text = f"{sign}{abs(absolute):,}"
    if percent is not None:
        psign = "+" if percent > 0 else ("−" if percent < 0 else "")
        text += f" ({psign}{abs(percent)} %)"
    css = "up" if absolute > 0 else ("down" if absolute < 0 else "flat")
    return format_html('<span class="change change-{}">{}</span>', css, text)


@register.filter
def loss_state(loss):
    return churn.STATES[churn.state_of(loss)]
