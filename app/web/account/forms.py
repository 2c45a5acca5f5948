from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired

from app.web.auth.forms import current_password_field


class PasswordCheckForm(FlaskForm):
    """Re-entering the password before an action that affects every device.

    Both such forms share the details page, so each carries its own field prefix
    (unique ids, and the page can show one form's errors beside the other).
    """

    field_prefix = ""
    password = current_password_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=self.field_prefix, **kwargs)


class EndSessionsForm(PasswordCheckForm):
    field_prefix = "end"
    submit = SubmitField(_l("Log out on all other devices"))


class CloseAccountForm(PasswordCheckForm):
    field_prefix = "close"
    understood = BooleanField(
        _l("I understand that my username will be closed and I can no longer log in with it."),
        validators=[DataRequired(message=_l("Tick the box to confirm that you want to close it."))],
    )
    submit = SubmitField(_l("Close my username"))
