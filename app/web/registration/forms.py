from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField, ValidationError
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.services.accounts import passwords

PASSWORD_MESSAGES = {
    passwords.PasswordProblem.TOO_SHORT: _l(
        "The password must be at least %(n)s characters long.", n=passwords.MIN_LENGTH
    ),
    passwords.PasswordProblem.TOO_LONG: _l(
        "The password can be at most %(n)s characters long.", n=passwords.MAX_LENGTH
    ),
    passwords.PasswordProblem.COMMON: _l(
        "This password is among the most common passwords. Please choose another."
    ),
    passwords.PasswordProblem.SAME_AS_EMAIL: _l("The password must not be your e-mail address."),
}


class MethodForm(FlaskForm):
    """One button per identification method; the value names the method."""

    method = HiddenField(validators=[DataRequired()])


class UsernameField:
    """Declared before the password fields, so it comes first in the error summary."""

    username = EmailField(
        _l("Username (e-mail address)"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
            Email(
                message=_l("Enter an e-mail address in the form name@example.fi."),
                check_deliverability=False,
            ),
        ],
    )


class PasswordFields(FlaskForm):
    """A new password, typed twice, checked against the stated rules."""

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter a password."))],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The passwords do not match.")),
        ],
    )

    def email_for_rules(self) -> str:
        return ""

    def validate_password(self, field) -> None:
        found = passwords.problems(field.data or "", self.email_for_rules())
        if found:
            raise ValidationError(str(PASSWORD_MESSAGES[found[0]]))


class CreateAccountForm(UsernameField, PasswordFields):
    submit = SubmitField(_l("Create a new account"))

    def email_for_rules(self) -> str:
        return (self.username.data or "").strip()


class NewPasswordForm(PasswordFields):
    submit = SubmitField(_l("Set the new password"))

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._username = username

    def email_for_rules(self) -> str:
        return self._username
