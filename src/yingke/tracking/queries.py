"""Querysets of tracking rows that hang off a guest file or a lead: seen as core.permissions
says (`subject_rule` for rows about a lead or a file, `row_rule` through the file otherwise)."""

from django.db import models

from yingke.core.permissions import row_rule, subject_rule


class SubjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        if any(f.name == "lead" for f in self.model._meta.get_fields()):
            return self.filter(subject_rule(user))
        return self.filter(row_rule(user, "customer"))
