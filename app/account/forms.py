from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class PasswordCheckForm(FlaskForm):
    """Re-entering the password before an action that affects every device."""

    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=1024, message=_l("The password is too long.")),
        ],
    )


class EndSessionsForm(PasswordCheckForm):
    submit = SubmitField(_l("Log out on all other devices"))


class CloseAccountForm(PasswordCheckForm):
    understood = BooleanField(
        _l("I understand that my username will be closed and I can no longer log in with it."),
        validators=[DataRequired(message=_l("Tick the box to confirm that you want to close it."))],
    )
    submit = SubmitField(_l("Close my username"))
