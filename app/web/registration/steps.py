"""The registration steps as guards: a view asks for the step it needs.

A guard returns the registration record when the step is done and raises
``StepMissing`` otherwise; the blueprint turns that into one message and a
redirect to the start page, so no view carries its own detour.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from app.services import terms
from app.web.registration import bp
from app.web.registration.state import RegistrationState


class StepMissing(Exception):
    """A step before this one is not done: say which and start again."""

    def __init__(self, message: str, category: str = "warning"):
        super().__init__(message)
        self.message = message
        self.category = category


@bp.errorhandler(StepMissing)
def back_to_start(missing: StepMissing):
    flash(missing.message, missing.category)
    return redirect(url_for("registration.start"), code=303)


def load_state() -> tuple[RegistrationState, terms.Terms]:
    """The registration record and the terms in force.

    An acceptance of a version that has since been replaced no longer
    counts: the customer is asked to read the new one, so the version
    stored with the account is always the one they saw.
    """
    state = RegistrationState.load()
    current = terms.current()
    if state.terms_accepted and state.terms_version != current.version:
        state.withdraw_terms()
        state.save()
        flash(_("The terms of use have been updated. Please read the new version."), "warning")
    return state, current


def require_terms() -> RegistrationState:
    """The record, once the terms in force are accepted."""
    state, _current = load_state()
    if not state.terms_accepted:
        raise StepMissing(_("Please read and accept the terms of use first."))
    return state


def require_identification() -> RegistrationState:
    """The record, once terms are accepted and a fresh identification is in it.

    After this, ``state.identified`` is the identification result.
    """
    state = require_terms()
    if state.current_identification() is not None:
        return state
    if state.identification_expired:
        raise StepMissing(
            _(
                "More than 10 minutes passed since your identification. "
                "Please identify yourself again."
            )
        )
    raise StepMissing(_("Please identify yourself first."))
