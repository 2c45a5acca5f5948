"""Staff accounts: ``staff add`` and its one-time set-up link, enrolment, the staff login
(password + TOTP, the lock), ``staff remove`` and ``staff list``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.staff import totp
from tests.conftest import audit_events
from tests.support.staff import (
    STAFF_EMAIL,
    STAFF_PASSWORD,
    StaffMember,
    add_staff,
    enrolled,
    secret_of,
    set_up,
    staff_login,
)

WRONG_LOGIN = "The e-mail address, password or code is wrong."


def member_of(app, email=STAFF_EMAIL) -> StaffMember:
    return StaffMember(email, STAFF_PASSWORD, secret_of(app, email))


def test_add_prints_a_set_up_link_on_the_base_url(app, runner):
    app.config["BASE_URL"] = "https://selfie.example.fi/"
    result = runner.invoke(args=["staff", "add", "Stina.Staff@JNT.fi"])
    assert result.exit_code == 0, result.output
    assert "https://selfie.example.fi/staff/setup/" in result.output
    assert "stina.staff@jnt.fi" in result.output
    assert [e.username for e in audit_events(app, "staff_added")] == ["stina.staff@jnt.fi"]


def test_add_refuses_what_is_not_an_e_mail_address(runner):
    result = runner.invoke(args=["staff", "add", "not-an-address"])
    assert result.exit_code != 0
    assert "Not an e-mail address" in result.output


def test_set_up_page_shows_a_qr_code_and_the_key_as_text(app, client):
    path = add_staff(app)
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in text
    assert totp.grouped(secret_of(app)) in text
    assert "<script" not in text.split("</head>", 1)[1]


def test_set_up_signs_in_and_the_link_then_works_no_more(app, client, staff_clock):
    path = add_staff(app)
    member = member_of(app)
    response = set_up(client, path, member, staff_clock.now)
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 200
    events = [e.event for e in audit_events(app)]
    assert events.index("staff_enrolled") < events.index("staff_login_ok")
    client.post("/staff/logout")
    assert client.get(path).status_code == 410
    again = set_up(client, path, member, staff_clock.now + timedelta(seconds=30))
    assert again.status_code == 410


def test_set_up_link_expires_after_24_hours(app, client, staff_clock):
    path = add_staff(app)
    staff_clock.advance(hours=24, seconds=1)
    page = client.get(path)
    assert page.status_code == 410
    assert "expired" in page.get_data(as_text=True)
    assert set_up(client, path, member_of(app), staff_clock.now).status_code == 410


def test_set_up_link_is_valid_just_before_24_hours(app, client, staff_clock):
    path = add_staff(app)
    staff_clock.advance(hours=23, minutes=59)
    assert client.get(path).status_code == 200


def test_a_tampered_link_is_refused(app, client):
    path = add_staff(app)
    assert client.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz")).status_code == 410


def test_a_new_add_replaces_the_earlier_link(app, client):
    first = add_staff(app)
    second = add_staff(app)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_add_refuses_a_staff_member_already_set_up(app, client, runner):
    enrolled(app, client)
    result = runner.invoke(args=["staff", "add", STAFF_EMAIL])
    assert result.exit_code != 0
    assert "already set up" in result.output


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "000000"}, "The code is wrong."),
        ({"code": "12ab56"}, "The code is six digits"),
        ({"password": "short", "confirm": "short"}, "at least 12 characters"),
        ({"confirm": "something else entirely"}, "The passwords do not match."),
        ({"password": STAFF_EMAIL, "confirm": STAFF_EMAIL}, "must not be your e-mail"),
    ],
)
def test_set_up_form_errors(app, client, staff_clock, changes, message):
    path = add_staff(app)
    member = member_of(app)
    if changes.get("code") == "000000" and member.code(staff_clock.now) == "000000":
        changes = {"code": "000001"}
    response = set_up(client, path, member, staff_clock.now, **changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get(path).status_code == 200  # nothing used up


def test_login_with_password_and_code(app, client, staff_clock):
    member = enrolled(app, client, at=staff_clock.now)
    client.post("/staff/logout")
    staff_clock.advance(seconds=30)
    response = staff_login(client, member, member.code(staff_clock.now))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/")
    assert client.get("/staff/").status_code == 200


def test_a_code_is_not_accepted_twice(app, client, staff_clock):
    member = enrolled(app, client, at=staff_clock.now)
    client.post("/staff/logout")
    staff_clock.advance(seconds=30)
    code = member.code(staff_clock.now)
    assert staff_login(client, member, code).status_code == 303
    client.post("/staff/logout")
    again = staff_login(client, member, code)
    assert again.status_code == 400
    assert WRONG_LOGIN in again.get_data(as_text=True)


def test_the_set_up_code_cannot_sign_in_again(app, client, staff_clock):
    member = enrolled(app, client, at=staff_clock.now)
    client.post("/staff/logout")
    assert staff_login(client, member, member.code(staff_clock.now)).status_code == 400


@pytest.mark.parametrize("wrong", ["password", "code", "email"])
def test_a_wrong_password_code_or_address_is_one_generic_failure(app, client, staff_clock, wrong):
    member = enrolled(app, client, at=staff_clock.now)
    client.post("/staff/logout")
    staff_clock.advance(seconds=30)
    good = member.code(staff_clock.now)
    data = {
        "password": {"password": "not the password at all"},
        "code": {"code": f"{(int(good) + 1) % 1_000_000:06d}"},
        "email": {"email": "someone.else@jnt.fi"},
    }[wrong]
    response = staff_login(client, member, **({"code": good} | data))
    assert response.status_code == 400
    assert WRONG_LOGIN in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    assert audit_events(app, "staff_login_failed")


@pytest.mark.usefixtures("quick_hashing")
def test_wrong_codes_lock_like_wrong_passwords(app, client, staff_clock):
    member = enrolled(app, client, at=staff_clock.now)
    client.post("/staff/logout")
    staff_clock.advance(seconds=30)
    good = member.code(staff_clock.now)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(2):
        staff_login(client, member, wrong)
    for _ in range(2):
        staff_login(client, member, good, password="not the password at all")
    fifth = staff_login(client, member, wrong)
    assert "Too many failed attempts." in fifth.get_data(as_text=True)
    locked = staff_login(client, member, good)  # right password and code, but locked
    assert locked.status_code == 400
    assert "Too many failed attempts." in locked.get_data(as_text=True)
    assert audit_events(app, "staff_locked")
    staff_clock.advance(minutes=2)
    assert staff_login(client, member, member.code(staff_clock.now)).status_code == 303


@pytest.mark.usefixtures("quick_hashing")
def test_the_staff_lock_does_not_lock_a_customer_login_of_the_same_address(
    app, client, staff_clock
):
    from app.services.accounts import service as accounts

    member = enrolled(app, client, at=staff_clock.now)
    client.post("/staff/logout")
    for _ in range(5):
        staff_login(client, member, "000000", password="wrong wrong wrong")
    with app.test_request_context():
        now = staff_clock.now
        assert accounts.lock_ends(accounts.throttle_key(STAFF_EMAIL, "staff"), now)
        assert accounts.lock_ends(accounts.throttle_key(STAFF_EMAIL), now) is None


def test_remove_ends_the_staff_members_sessions(app, client, runner):
    enrolled(app, client)
    assert client.get("/staff/").status_code == 200
    result = runner.invoke(args=["staff", "remove", STAFF_EMAIL])
    assert result.exit_code == 0, result.output
    assert client.get("/staff/").status_code == 302
    assert [e.username for e in audit_events(app, "staff_removed")] == [STAFF_EMAIL]
    assert runner.invoke(args=["staff", "remove", STAFF_EMAIL]).exit_code != 0


def test_list_shows_who_is_set_up(app, client, runner):
    enrolled(app, client)
    add_staff(app, "new.person@jnt.fi")
    lines = runner.invoke(args=["staff", "list"]).output.splitlines()
    assert lines[0].startswith("new.person@jnt.fi") and "waiting for set-up" in lines[0]
    assert lines[1].startswith(STAFF_EMAIL) and "set up" in lines[1]
