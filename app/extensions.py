"""Bare extension instances, bound to an app by ``create_app``."""

from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base whose constraints get stable names in migrations."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
server_session = Session()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class IdentificationBroker:
    """The app's identification broker, built once by ``create_app``; views call :meth:`get`.

    Settings that cannot work are logged at start-up; the app still serves
    everything else, and an identification attempt gets the friendly
    "temporarily unavailable" page (``BrokerMisconfigured``).
    """

    key = "selfie_broker"

    def init_app(self, app: Flask) -> None:
        from app.services.identification import Broker, BrokerConfig, BrokerMisconfigured

        try:
            app.extensions[self.key] = Broker(BrokerConfig.from_settings(app.config))
        except BrokerMisconfigured as error:
            app.logger.error("identification broker misconfigured: %s", error)
            app.extensions[self.key] = error

    def get(self):
        """The current app's :class:`~app.services.identification.Broker`."""
        from app.services.identification import BrokerMisconfigured

        broker = current_app.extensions[self.key]
        if isinstance(broker, BrokerMisconfigured):
            raise BrokerMisconfigured(str(broker))
        return broker


identification_broker = IdentificationBroker()
