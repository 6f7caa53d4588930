"""Query sets of guest files. Which files a member of staff sees is decided once, in
core.permissions.row_rule (R-1.2); every model that hangs off a customer applies it
through its path to the customer. Lists, detail pages, search, the API and exports all
start from `visible_to`, so a new view cannot forget the rule.
"""

from yingke.core.permissions import RelatedRuleQuerySet, RuleQuerySet


class CustomerQuerySet(RuleQuerySet):
    pass


class RelatedToCustomerQuerySet(RelatedRuleQuerySet):
    """For models that belong to a customer: visible when their customer is."""
