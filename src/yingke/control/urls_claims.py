"""control: claims (R-6.1) — the shared pool, the claims page, the 360 page's ownership card,
and the posts that claim, release, approve, refuse and withdraw (control.views_claims)."""

from django.urls import path

from yingke.control import views_claims as views

urlpatterns = [
    path("pool/", views.pool, name="pool"),
    path("pool/<int:customer_id>/claim/", views.claim, name="claim"),
    path("claims/", views.claims_page, name="claims"),
    path("claims/by-code/", views.claim_code, name="claim_code"),
    path("claims/<int:claim_id>/approve/", views.approve, name="approve"),
    path("claims/<int:claim_id>/refuse/", views.refuse, name="refuse"),
    path("claims/<int:claim_id>/withdraw/", views.withdraw, name="withdraw"),
    path("customers/<int:customer_id>/release/", views.release, name="release"),
    path("customers/<int:customer_id>/ownership/", views.ownership_card, name="ownership"),
]
