from django.contrib.auth import views as auth_views
from django.urls import include, path

from yingke.core import auth_views as auth_views_counted
from yingke.core import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views_counted.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("settings/", include("yingke.core.config_urls")),
]
