"""Configuration pages (/settings/): properties, outlets, staff, tags."""

app_name = "config"
urlpatterns = []
