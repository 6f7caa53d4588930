from django.urls import path

from yingke.customers.views import annotate, detail, edit, lists

app_name = "customers"
urlpatterns = [
    path("", lists.customer_list, name="list"),
    path("count/", lists.customer_count, name="count"),
    path("export.csv", lists.customer_export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", lists.customer_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("new/", edit.customer_create, name="create"),
    path("quick/", edit.quick_create, name="quick"),
    path("mobile-check/", edit.mobile_check, name="mobile_check"),
    path("<int:pk>/", detail.customer_detail, name="detail"),
    path("<int:pk>/edit/", edit.customer_edit, name="edit"),
    path("<int:pk>/history/", annotate.history_section, name="history"),
    path("<int:pk>/preferences/", annotate.preference_add, name="preference_add"),
    path("<int:pk>/preferences/<int:item>/delete/", annotate.preference_delete, name="preference_delete"),
    path("<int:pk>/dates/", annotate.date_add, name="date_add"),
    path("<int:pk>/dates/<int:item>/delete/", annotate.date_delete, name="date_delete"),
    path("<int:pk>/notes/", annotate.note_add, name="note_add"),
    path("<int:pk>/contacts/", annotate.contact_add, name="contact_add"),
    path("<int:pk>/group/", annotate.group_link, name="group_link"),
    path("<int:pk>/group/leave/", annotate.group_unlink, name="group_unlink"),
    path("<int:pk>/contacts/<int:item>/delete/", annotate.contact_delete, name="contact_delete"),
]
