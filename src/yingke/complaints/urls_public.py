"""The public feedback page (/f/, namespace "feedback"): no account needed."""

from django.urls import path

from yingke.complaints import views_public

urlpatterns = [
    path("<str:token>/", views_public.page, name="page"),
    path("<str:token>/thanks/", views_public.thanks, name="thanks"),
]
