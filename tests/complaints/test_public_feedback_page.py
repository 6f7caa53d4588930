"""The public feedback page (R-8.4): /f/<token>/ without an account — the kinds of
submission, joining the guest's file only with a mobile and consent, plain text only, odd
Unicode, the honeypot, CSRF for anonymous guests, languages and tokens that do not work."""

import re

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from yingke.complaints import feedback
from yingke.complaints.models import Channel, Complaint, ComplaintStep, Feedback, Severity, Step
from yingke.core.models import Notification, Outlet
from yingke.customers.models import Customer, Note


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def outlet(world):
    return Outlet.objects.get(property=world.h1, code="CN")


@pytest.fixture
def token(world, outlet):
    return feedback.make_token(world.h1, outlet, "A12")


@pytest.fixture
def url(token):
    return reverse("feedback:page", args=[token])


def post(client, url, **data):
    body = {"kind": "praise", "text": "服务很好", "name": "", "mobile": "", "complaint_type": "", "website": ""}
    body.update({k: v for k, v in data.items() if v is not None})
    if body.get("consent") is False:
        body.pop("consent")
    return client.post(url, body)


# ---- the page --------------------------------------------------------------------------

def test_page_is_phone_first_public_and_csp_safe(client, url):
    r = client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "complaints/public.css" in html
    assert "迎客大酒店" in html and "中餐厅" in html and "A12" in html
    assert "mainnav" not in html and "searchbox" not in html and "yingke/app.css" not in html  # no staff chrome
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "script-src 'self'" in r["Content-Security-Policy"]
    assert 'name="website"' in html and 'class="pub-hp"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    device = r.cookies["yk_device"]
    assert len(device.value) >= 32 and device["httponly"]
    again = client.get(url)
    assert "yk_device" not in again.cookies  # set once, kept


def test_language_from_browser_with_switch_and_chinese_fallback(world, url):
    zh = Client().get(url)
    assert '<html lang="zh-CN">' in zh.content.decode()
    en = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(url)
    assert '<html lang="en">' in en.content.decode()
    assert "Tell us about your visit" in en.content.decode()
    guest = Client(HTTP_ACCEPT_LANGUAGE="en")
    switched = guest.get(url + "?lang=zh-hans")
    assert '<html lang="zh-CN">' in switched.content.decode()
    assert '<html lang="zh-CN">' in guest.get(url).content.decode()  # remembered
    assert '<html lang="en">' in guest.get(url + "?lang=en").content.decode()
    assert '<html lang="zh-CN">' in Client(HTTP_ACCEPT_LANGUAGE="fr").get(url).content.decode()


def test_csrf_works_for_anonymous_guests(world, url):
    guest = Client(enforce_csrf_checks=True)
    html = guest.get(url).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    r = guest.post(url, {"csrfmiddlewaretoken": csrf, "kind": "praise", "text": "很好"})
    assert r.status_code == 302
    assert Feedback.objects.count() == 1
    assert Client(enforce_csrf_checks=True).post(url, {"kind": "praise", "text": "很好"}).status_code == 403
    assert Feedback.objects.count() == 1


def test_thank_you_page(client, url, token):
    r = post(client, url, kind="complaint", text="空调坏了")
    assert r.status_code == 302 and r["Location"] == reverse("feedback:thanks", args=[token]) + "?k=complaint"
    page = client.get(r["Location"])
    assert page.status_code == 200
    assert "mainnav" not in page.content.decode()


# ---- kinds and the guest's file ---------------------------------------------------------

def test_praise_without_mobile_stays_anonymous(world, client, url, outlet):
    notes = Note.objects.count()
    assert post(client, url, kind="praise", text="小王服务很周到", name="王先生").status_code == 302
    fb = Feedback.objects.get()
    assert (fb.kind, fb.text, fb.name, fb.mobile, fb.consent) == ("praise", "小王服务很周到", "王先生", "", False)
    assert (fb.property, fb.outlet, fb.location) == (world.h1, outlet, "A12")
    assert fb.customer is None and fb.complaint is None
    assert Note.objects.count() == notes and Complaint.objects.count() == 0


def test_suggestion_with_mobile_and_consent_joins_the_file_as_a_note(world, client, url, outlet):
    r = post(client, url, kind="suggestion", text="希望增加儿童座椅", mobile="138 1234 5678", consent=True)
    assert r.status_code == 302
    fb = Feedback.objects.get()
    assert fb.customer == world.c_am1 and fb.mobile == "13812345678" and fb.consent
    note = Note.objects.get(customer=world.c_am1)
    assert (note.kind, note.text, note.outlet, note.author) == (Note.Kind.SUGGESTION, "希望增加儿童座椅", outlet, None)


def test_praise_with_consent_becomes_a_praise_note(world, client, url):
    post(client, url, kind="praise", text="很好", mobile="+86 13812345678", consent=True)
    assert Note.objects.get(customer=world.c_am1).kind == Note.Kind.PRAISE


def test_mobile_without_consent_is_not_stored_and_joins_nothing(world, client, url):
    assert post(client, url, kind="praise", text="很好", mobile="13812345678", consent=False).status_code == 302
    fb = Feedback.objects.get()
    assert fb.mobile == "" and fb.customer is None and not fb.consent
    assert not Note.objects.filter(customer=world.c_am1).exists()


def test_unknown_mobile_with_consent_opens_no_file(world, client, url):
    files = Customer.objects.count()
    post(client, url, kind="suggestion", text="停车场太小", mobile="13000000001", consent=True)
    fb = Feedback.objects.get()
    assert fb.customer is None and fb.mobile == "13000000001"
    assert Customer.objects.count() == files


def test_a_file_of_another_property_is_not_joined(world, client, url):
    post(client, url, kind="praise", text="好", mobile="13512340004", consent=True)  # c_h2's mobile, at H1
    assert Feedback.objects.get().customer is None


def test_an_ambiguous_mobile_joins_no_file(world, client, url):
    from tests.conftest import make_customer

    make_customer(world.h1, "C099", "张三丰", mobile="13812345678")
    post(client, url, kind="praise", text="好", mobile="13812345678", consent=True)
    assert Feedback.objects.get().customer is None


def test_bad_mobile_is_refused_and_nothing_stored(world, client, url):
    r = post(client, url, kind="praise", text="好", mobile="12345", consent=True)
    assert r.status_code == 422
    assert "pub-error" in r.content.decode()
    assert Feedback.objects.count() == 0


def test_complaint_with_consent_enters_step_one_on_the_file_and_notifies_the_lobby(world, client, url, outlet):
    r = post(client, url, kind="complaint", complaint_type="food", text="菜里有头发", name="张先生",
             mobile="13812345678", consent=True)
    assert r.status_code == 302
    fb = Feedback.objects.get()
    c = fb.complaint
    assert (c.kind, c.channel, c.severity, c.step) == ("food", Channel.PUBLIC_PAGE, Severity.MEDIUM, Step.RECORDED)
    assert (c.customer, c.contact_name, c.contact_phone) == (world.c_am1, "张先生", "13812345678")
    assert (c.property, c.outlet, c.location, c.words, c.created_by) == (world.h1, outlet, "A12", "菜里有头发", None)
    assert c.step_at == c.created_at == fb.created_at  # the clock starts
    assert ComplaintStep.objects.filter(complaint=c, step=Step.RECORDED).exists()
    n = Notification.objects.get(key=f"complaint:{c.pk}:new")
    assert (n.user, n.kind, n.args, n.link) == (world.desk, "complaint.new", {"complaint": c.pk}, f"/complaints/{c.pk}/")
    assert not Note.objects.filter(customer=world.c_am1).exists()  # a complaint is a complaint, not a note


def test_complaint_without_consent_is_anonymous_without_contact(world, client, url):
    post(client, url, kind="complaint", text="房间有异味", name="李女士", mobile="13812345678", consent=False)
    c = Complaint.objects.get()
    assert (c.kind, c.customer, c.contact_name, c.contact_phone) == ("other", None, "", "")
    assert Feedback.objects.get().mobile == ""
    assert Notification.objects.filter(user=world.desk, kind="complaint.new").count() == 1


def test_complaint_type_must_be_one_of_the_list(client, url):
    r = post(client, url, kind="complaint", complaint_type="weather", text="下雨")
    assert r.status_code == 422 and Complaint.objects.count() == 0


def test_kind_is_required(client, url):
    r = post(client, url, kind="", text="好")
    assert r.status_code == 422 and Feedback.objects.count() == 0


def test_a_property_wide_code(world, client):
    token = feedback.make_token(world.h1)
    r = post(client, reverse("feedback:page", args=[token]), kind="complaint", text="前台态度差",
             complaint_type="attitude")
    assert r.status_code == 302
    c = Complaint.objects.get()
    assert (c.outlet, c.location, c.kind) == (None, "", "attitude")


# ---- text ------------------------------------------------------------------------------

def test_no_html_is_kept(client, url):
    r = post(client, url, kind="complaint", text='<b>菜</b>太咸<script>x()</script><img src=x onerror="a()">!',
             name="<i>王</i>")
    assert r.status_code == 302
    fb = Feedback.objects.get()
    assert "<" not in fb.text and ">" not in fb.text and "<" not in fb.name
    assert fb.text.startswith("菜太咸") and fb.name == "王"
    assert "<" not in Complaint.objects.get().words


def test_text_of_tags_only_is_refused(client, url):
    r = post(client, url, text="<br><p></p>")
    assert r.status_code == 422 and Feedback.objects.count() == 0


def test_a_lone_less_than_sign_is_text(client, url):
    post(client, url, text="价格 < 100 元很划算 I <3 it")
    assert Feedback.objects.get().text == "价格 < 100 元很划算 I <3 it"


def test_length_limits(client, url):
    assert post(client, url, text="好" * 1001).status_code == 422
    assert post(client, url, text="好", name="名" * 41).status_code == 422
    assert Feedback.objects.count() == 0
    assert post(client, url, text="好" * 1000, name="名" * 40).status_code == 302
    assert len(Feedback.objects.get().text) == 1000


@pytest.mark.parametrize("text", [
    "👍🏻 非常满意 👨‍👩‍👧",  # emoji with modifiers and joiners
    "Café crème, ｆｕｌｌ－ｗｉｄｔｈ，全角",  # accents and full-width forms
    "𠮷野家 𡃁 e\u0301",  # astral CJK, a combining accent
    "مرحبا שלום",  # right-to-left scripts
    "第一行\r\n\r\n\r\n\r\n第二行",  # Windows line breaks, many blank lines
])
def test_odd_unicode_is_kept(client, url, text):
    assert post(client, url, text=text).status_code == 302
    stored = Feedback.objects.get().text
    if "\r" in text:
        assert stored == "第一行\n\n第二行"
    else:
        assert stored == text


@pytest.mark.parametrize("text", ["\u200b\u200d", "a\x00b", "a\x07b", " \n \n "])
def test_invisible_or_control_text_is_refused(client, url, text):
    assert post(client, url, text=text).status_code == 422
    assert Feedback.objects.count() == 0


# ---- the honeypot and tokens -----------------------------------------------------------

def test_honeypot_pretends_success_and_stores_nothing(client, url, token):
    r = post(client, url, kind="complaint", text="buy cheap pills", website="http://spam.example")
    assert r.status_code == 302 and r["Location"].startswith(reverse("feedback:thanks", args=[token]))
    assert Feedback.objects.count() == 0 and Complaint.objects.count() == 0
    assert Notification.objects.count() == 0


def _friendly_404(r):
    html = r.content.decode()
    return r.status_code == 404 and "pub-main" in html and "mainnav" not in html


def test_tampered_token_is_a_friendly_404(world, client, token):
    assert signing.Signer(salt=feedback.TOKEN_SALT).unsign_object(token) == [world.h1.pk, world.h1.outlets.get().pk,
                                                                             "A12"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert _friendly_404(client.get(reverse("feedback:page", args=[forged])))
    assert _friendly_404(client.get(reverse("feedback:page", args=["not-a-token"])))
    unsigned = signing.Signer(salt="another-salt").sign_object([world.h2.pk, None])
    assert _friendly_404(client.get(reverse("feedback:page", args=[unsigned])))
    assert _friendly_404(client.post(reverse("feedback:page", args=[forged]), {"kind": "praise", "text": "x"}))
    assert _friendly_404(client.get(reverse("feedback:thanks", args=[forged])))
    assert Feedback.objects.count() == 0


def test_token_of_a_removed_outlet_is_revoked(world, client):
    gone = Outlet.objects.create(property=world.h1, code="BAR", name="酒吧")
    token = feedback.make_token(world.h1, gone, "B1")
    assert client.get(reverse("feedback:page", args=[token])).status_code == 200
    gone.delete()
    assert _friendly_404(client.get(reverse("feedback:page", args=[token])))


def test_token_cannot_name_an_outlet_of_another_property(world):
    other = Outlet.objects.get(property=world.h2)
    with pytest.raises(ValidationError):
        feedback.make_token(world.h1, other)
    forged = signing.Signer(salt=feedback.TOKEN_SALT).sign_object([world.h1.pk, other.pk])  # signed, inconsistent
    assert feedback.read_token(forged) is None


def test_404_in_english_for_an_english_browser(world):
    r = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("feedback:page", args=["x:y"]))
    assert r.status_code == 404 and "This code no longer works" in r.content.decode()


def test_a_target_always_gives_the_same_short_token(world, outlet):
    token = feedback.make_token(world.h1, outlet, "A12")
    assert token == feedback.make_token(world.h1, outlet, " A12 ")
    assert token != feedback.make_token(world.h1, outlet, "A13")
    assert len(token) < 80 and "/" not in token
    target = feedback.read_token(token)
    assert (target.property, target.outlet, target.location) == (world.h1, outlet, "A12")


def test_every_problem_shows_at_once(client, url):
    r = post(client, url, kind="", text="", mobile="12345", consent=True)
    assert r.status_code == 422
    errors = r.context["form"].errors
    assert {"kind", "text", "mobile"} <= set(errors)
    assert r.content.decode().count('class="pub-error"') >= 3


def test_a_bound_form_keeps_the_empty_complaint_type(client, url):
    html = post(client, url, kind="complaint", text="").content.decode()
    assert '<option value="" selected>' in html
