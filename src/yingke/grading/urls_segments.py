"""Customer modules, their targets and contribution; churn (losses and their reasons)."""

urlpatterns = []
