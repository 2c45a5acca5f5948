"""Every staff event reaches the audit trail, with the staff member as the actor."""

from __future__ import annotations

from app.services.accounts import audit
from tests.conftest import audit_events, english_client
from tests.support.staff import STAFF_EMAIL, add_staff, enrolled, make_request, staff_login

CLIENT = {"REMOTE_ADDR": "192.0.2.44", "HTTP_USER_AGENT": "DeskTest/1.0"}


def test_every_staff_event_names_the_staff_member(app, demo_register, runner, staff_clock):
    client = english_client(app)
    client.environ_base.update(CLIENT)
    member = enrolled(app, client, at=staff_clock.now)  # added, enrolled, login ok
    reference = make_request(app, "100003")
    client.get("/staff/")
    client.get(f"/staff/requests/{reference}")
    client.post(f"/staff/requests/{reference}/status", data={"status": "in_progress"})
    client.post("/staff/lookup", data={"query": "100001"})
    client.post("/staff/logout")
    staff_clock.advance(seconds=30)
    for _ in range(5):  # failures, then the lock
        staff_login(client, member, "000000" if member.code(staff_clock.now) != "000000" else "1")
    signed_in = {"staff_queue_viewed", "staff_request_viewed", "staff_lookup", "staff_logout"}
    assert all(row.staff_id is not None for row in audit_events(app) if row.event in signed_in)
    runner.invoke(args=["staff", "remove", STAFF_EMAIL])

    staff_events = {e for e in audit.Event if e.value.startswith("staff_")}
    rows = [row for row in audit_events(app) if row.event.startswith(("staff_", "request_"))]
    assert {row.event for row in rows} == {e.value for e in staff_events} | {
        "request_status_changed"
    }
    assert all(row.username == STAFF_EMAIL for row in rows)
    in_the_desk = [row for row in rows if row.event not in ("staff_added", "staff_removed")]
    assert all(row.client_ip == CLIENT["REMOTE_ADDR"] for row in in_the_desk)
    assert all(row.staff_id is None for row in rows)  # removed: the address stays


def test_a_removed_staff_members_events_keep_the_address(app, runner):
    add_staff(app)
    runner.invoke(args=["staff", "remove", STAFF_EMAIL])
    added = audit_events(app, "staff_added")[-1]
    assert added.staff_id is None and added.username == STAFF_EMAIL
