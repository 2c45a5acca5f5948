from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from app.services.identity_codes import mask
from app.services.requests import STAFF_STATUSES
from app.web.auth.forms import current_password_field
from app.web.registration.forms import PasswordFields
from app.web.requests.labels import KINDS, STATUSES
from app.web.staff.labels import AGES


def code_field() -> StringField:
    """The six digits the authenticator app shows (spaces allowed, as apps group them)."""
    return StringField(
        _l("Code from the authenticator app"),
        validators=[
            DataRequired(message=_l("Enter the six-digit code from the authenticator app.")),
            Regexp(
                r"^\s*(\d\s*){6}$",
                message=_l("The code is six digits, for example 123456."),
            ),
        ],
    )


class StaffLoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
        ],
    )
    password = current_password_field()
    code = code_field()
    submit = SubmitField(_l("Log in"))


class SetupForm(PasswordFields):
    """Choose a password (the customers' rules) and confirm the authenticator with a code."""

    code = code_field()
    submit = SubmitField(_l("Save and continue to the desk"))

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def email_for_rules(self) -> str:
        return self._email


class LookupForm(FlaskForm):
    query = SearchField(
        _l("Customer number or username"),
        validators=[
            DataRequired(message=_l("Enter a customer number or a username.")),
            Length(max=254, message=_l("That is too long for a customer number or username.")),
        ],
    )
    submit = SubmitField(_l("Look up"))

    def validate_query(self, field) -> None:
        """A personal identity code is never searched for, nor shown back in the field."""
        if mask(field.data or "") != (field.data or ""):
            field.data, field.raw_data = "", [""]
            raise ValidationError(
                _l("Search by customer number or username: identity codes are not searched.")
            )


def choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms 3.3 wants a select's options."""
    return [SelectChoice(value, label) for value, label in pairs]


class QueueFilterForm(FlaskForm):
    """The queue's filters, read from the query string (a GET form: no CSRF, bookmarkable)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=choices(
            [("", _l("Open requests")), ("all", _l("All statuses"))] + list(STATUSES.items())
        ),
        default="",
    )
    kind = SelectField(
        _l("Kind"), choices=choices([("", _l("All kinds")), *KINDS.items()]), default=""
    )
    age = SelectField(_l("Received"), choices=choices(AGES.items()), default="")
    submit = SubmitField(_l("Show"))


class StatusForm(FlaskForm):
    status = SelectField(
        _l("New status"), choices=choices((s.value, STATUSES[s.value]) for s in STAFF_STATUSES)
    )
    note = TextAreaField(
        _l("Note to the customer"),
        validators=[Length(max=2000, message=_l("The note can be at most 2000 characters."))],
    )
    submit = SubmitField(_l("Save the status"))

    def validate_note(self, field) -> None:
        if self.status.data == "rejected" and not (field.data or "").strip():
            raise ValidationError(_l("Give the reason for the rejection: the customer sees it."))
