"""Several hosts, one state: two portal hosts (separate gunicorn masters on their own
ports) sharing PostgreSQL and Redis behave as one portal.

The person's cookie jar talks to both, as a browser behind one proxy would.
"""

from __future__ import annotations

import pytest

from tests.support.portal import migrate, portal_env
from tests.support.servers import Gunicorn
from tests.support.walk import Person

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
USERNAME = "anna@example.fi"


@pytest.fixture
def hosts(postgres_url, redis_url, oidc_issuer, tmp_path):
    migrate(tmp_path, oidc_issuer, postgres_url)
    env = portal_env(oidc_issuer, postgres_url, redis_url, SELFIE_RATELIMIT_ENABLED="true")
    with Gunicorn(env) as first, Gunicorn(env) as second:
        assert first.port != second.port and first.process.pid != second.process.pid
        yield first.url, second.url


def register_across(person: Person, begin: str, finish: str) -> None:
    assert person.accept_terms(begin).status_code == 303
    assert person.identify(begin, "anna.andersson").status_code == 303
    created = person.create_account(finish, USERNAME)
    assert created.status_code == 303, created.text[:500]
    assert created.headers["Location"].endswith("/account/services")


def test_a_registration_begun_on_one_host_finishes_on_the_other(hosts):
    a, b = hosts
    person = Person()
    register_across(person, a, b)
    assert person.signed_in(a) and person.signed_in(b)


def test_a_login_on_one_host_is_valid_on_the_other_and_a_logout_ends_it_on_both(hosts):
    a, b = hosts
    register_across(Person(), a, b)
    person = Person()
    assert not person.signed_in(b)
    assert person.login(a, USERNAME).status_code == 303
    assert person.signed_in(b) and person.signed_in(a)
    assert person.logout(b).status_code == 303
    assert not person.signed_in(a) and not person.signed_in(b)


def test_failed_logins_on_both_hosts_lock_the_username_together(hosts):
    a, b = hosts
    register_across(Person(), a, b)
    person = Person()
    for attempt in range(5):
        failed = person.login((a, b)[attempt % 2], USERNAME, "wrong password here")
        assert failed.status_code == 400
    refused = person.login(a, USERNAME)  # the right password, but the lock is shared
    assert refused.status_code == 400 and "Too many failed attempts" in refused.text
    assert not person.signed_in(b)


def test_rate_limit_counters_count_requests_to_both_hosts(hosts):
    """20 logins a minute per address: ten on each host use it up for both."""
    a, b = hosts
    person = Person()
    for attempt in range(20):
        answer = person.login((a, b)[attempt % 2], f"nobody{attempt}@example.fi", "wrong")
        assert answer.status_code == 400, (attempt, answer.status_code)
    assert person.login(a, "nobody-more@example.fi", "wrong").status_code == 429
    assert person.login(b, "nobody-else@example.fi", "wrong").status_code == 429
