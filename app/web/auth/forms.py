from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


def current_password_field() -> PasswordField:
    """The signed-in person's present password (login, and re-checks before big actions)."""
    return PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=1024, message=_l("The password is too long.")),
        ],
    )


class LoginForm(FlaskForm):
    username = EmailField(
        _l("Username (e-mail address)"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
        ],
    )
    password = current_password_field()
    next = HiddenField()
    submit = SubmitField(_l("Log in"))
