from yingke.api.root import api

urlpatterns = api.urls[0]
