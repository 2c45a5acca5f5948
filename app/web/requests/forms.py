"""The request forms. Each carries a random token drawn when the form is first shown:
the same form sent twice (a double click, the very same POST again) is one request."""

from __future__ import annotations

import re
import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from app.services.requests import rules
from app.web import short_date
from app.web.requests import labels

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def choices(table: dict, codes) -> list[SelectChoice]:
    """Options in the order of ``codes``, labelled from ``table``."""
    return [SelectChoice(code, table[code]) for code in codes]


class RequestForm(FlaskForm):
    token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.token.data = secrets.token_urlsafe(16)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not _TOKEN.match(self.token.data or ""):
            self.form_errors.append(_l("The form had expired. Please send it again."))
            self.token.data = secrets.token_urlsafe(16)
            return False
        return valid


class DayField(DateField):
    """A day typed as the date picker sends it (2026-12-01) or as Finns write it (1.12.2026);
    an empty field is no day (``None``), for the validators to judge."""

    def __init__(self, label, message, **kwargs):
        super().__init__(
            label, format=["%Y-%m-%d", "%d.%m.%Y"], invalid_value_message=message, **kwargs
        )

    def process_formdata(self, valuelist):
        text = " ".join(valuelist).strip()
        if valuelist and not text:
            self.data = None
            return
        super().process_formdata([text] if valuelist else valuelist)


def chosen(message):
    """One of the field's own options (WTForms' built-in message is not in our catalogue)."""

    def check(form, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(message)

    return check


def phone_validator(message, *, mobile_only: bool):
    def check(form, field):
        if not field.data:
            return
        try:
            field.data = rules.normalise_phone(field.data, mobile_only=mobile_only)
        except rules.InvalidPhone:
            raise ValidationError(message) from None

    return check


class ContactForm(RequestForm):
    email = EmailField(
        _l("Contact e-mail"),
        validators=[
            Optional(),
            Length(max=254, message=_l("The e-mail address is too long.")),
            Email(
                message=_l("Enter an e-mail address in the form name@example.fi."),
                check_deliverability=False,
            ),
        ],
    )
    phone = StringField(
        _l("Mobile phone"),
        validators=[
            Optional(),
            Length(max=40, message=_l("The phone number is too long.")),
            phone_validator(
                _l("Enter a mobile phone number, e.g. 050 123 4567 or +46 70 123 45 67."),
                mobile_only=True,
            ),
        ],
    )
    invoice_delivery = RadioField(
        _l("Invoice delivery"),
        choices=[
            SelectChoice("", _l("Keep as it is")),
            *choices(labels.INVOICE_DELIVERY, labels.INVOICE_DELIVERY),
        ],
        default="",
        validators=[chosen(_l("Choose how you want your invoices."))],
        validate_choice=False,
    )
    submit = SubmitField(_l("Send the change"))


class ChangeForm(RequestForm):
    """Step one of "Change the service": another product, or an end date."""

    action = RadioField(
        _l("What would you like to do?"),
        choices=[
            SelectChoice("change", _l("Switch to another product")),
            SelectChoice("end", _l("End the service")),
        ],
        validators=[chosen(_l("Choose whether to switch or to end the service."))],
        validate_choice=False,
    )
    product = RadioField(_l("New product"), choices=[], validate_choice=False)
    end_date = DayField(_l("End date"), _l("Enter the end date, e.g. 31.1.2027."))
    review = SubmitField(_l("Continue to the summary"))
    confirm = SubmitField(_l("Confirm and send"))
    edit = SubmitField(_l("Go back and change"))
    #: Set by the view before validating: the earliest end date allowed.
    earliest_end = None

    def validate_product(self, field):
        if self.action.data == "change" and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose the product you want."))

    def validate_end_date(self, field):
        if self.action.data != "end":
            return
        if field.data is None:
            raise ValidationError(_l("Enter the end date, e.g. 31.1.2027."))
        if field.data < self.earliest_end:
            raise ValidationError(
                _(
                    "The earliest possible end date is %(date)s (the notice period).",
                    date=short_date(self.earliest_end),
                )
            )


class FaultForm(RequestForm):
    problem = RadioField(
        _l("What is wrong?"),
        choices=[],
        validators=[chosen(_l("Choose what is wrong."))],
        validate_choice=False,
    )
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[
            Length(max=2000, message=_l("Please keep the description under 2000 characters."))
        ],
    )
    since = DayField(
        _l("Since when?"),
        _l("Enter the date the problem began, e.g. 1.12.2026."),
        validators=[DataRequired(message=_l("Enter the date the problem began, e.g. 1.12.2026."))],
    )
    #: Set by the view before validating: today in Finland.
    today = None
    callback_phone = StringField(
        _l("Phone number for calling you back"),
        validators=[
            DataRequired(message=_l("Enter a phone number where we can reach you.")),
            Length(max=40, message=_l("The phone number is too long.")),
            phone_validator(
                _l("Enter a phone number, e.g. 050 123 4567 or +46 70 123 45 67."),
                mobile_only=False,
            ),
        ],
    )
    callback_time = RadioField(
        _l("When may we call you?"),
        choices=choices(labels.CALLBACK_TIMES, rules.CALLBACK_TIMES),
        default="any",
        validators=[chosen(_l("Choose when we may call you."))],
        validate_choice=False,
    )
    submit = SubmitField(_l("Send the fault report"))

    def validate_since(self, field):
        if field.data and field.data > self.today:
            raise ValidationError(_l("The date cannot be in the future."))

    def validate_description(self, field):
        if self.problem.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Please describe the problem in your own words."))
