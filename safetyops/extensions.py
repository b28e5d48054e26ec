"""Extensions, created unbound; `create_app` binds them."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .models_base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _remote_address():
    return get_remote_address() if request else "cli"


limiter = Limiter(key_func=_remote_address, default_limits=[], headers_enabled=True)
