"""HTTP API of the relay service."""
from flask.views import MethodView
from flask_smorest import Blueprint

from services.relay import service
from services.relay.schemas import SiteSchema
from shared.web import database

sites = Blueprint("relay-sites", __name__, url_prefix="/sites", description="Sites this service knows")


@sites.route("")
class Sites(MethodView):
    @sites.response(200, SiteSchema(many=True))
    def get(self):
        """Sites this service has learnt from the platform."""
        with database().transaction() as session:
            return service.list_sites(session)


blueprints = [sites]
