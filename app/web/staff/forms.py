from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SearchField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from app.web.auth.forms import current_password_field
from app.web.registration.forms import PasswordFields


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
