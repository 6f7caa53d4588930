from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from yingke.customers.models import Customer


@login_required
def customer_list(request):
    return HttpResponse(str(Customer.objects.visible_to(request.user).count()))
