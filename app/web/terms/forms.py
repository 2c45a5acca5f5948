from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired


class AcceptTermsForm(FlaskForm):
    """Accepting is an explicit press of the button; nothing is pre-ticked."""

    version = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Accept the terms of use"))
