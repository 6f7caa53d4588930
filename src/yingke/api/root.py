"""The REST API (django-ninja); OpenAPI at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Yingke API", version="1", urls_namespace="api")


@api.get("/health", auth=None, tags=["system"])
def health(request):
    return {"status": "ok"}
