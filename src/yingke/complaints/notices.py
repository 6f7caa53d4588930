"""How complaint notifications read (core.notify.RENDERERS), in the reader's language."""

from django.utils.translation import gettext as _

from yingke.complaints.models import Escalation, Step


def _ref(args) -> str:
    return f"TS{int(args['complaint']):06d}"


def escalation(args: dict) -> str:
    return _("Complaint %(ref)s: the step “%(step)s” is overdue (escalated to the %(level)s).") % {
        "ref": _ref(args), "step": Step(int(args["step"])).label,
        "level": Escalation.Level(int(args["level"])).label}


def approval(args: dict) -> str:
    return _("Complaint %(ref)s: a compensation of ¥%(amount)s waits for your approval.") % {
        "ref": _ref(args), "amount": args["amount"]}


def new_from_page(args: dict) -> str:
    return _("Complaint %(ref)s came in through the feedback page.") % {"ref": _ref(args)}


RENDERERS = {
    "complaint.escalation": escalation,
    "complaint.approval": approval,
    "complaint.new": new_from_page,
}
