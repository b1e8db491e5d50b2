"""HTTP API of the grocery service."""
from flask.views import MethodView
from flask_smorest import Blueprint

from services.grocery import service
from services.grocery.schemas import SiteSchema
from shared.web import database

sites = Blueprint("grocery-sites", __name__, url_prefix="/sites", description="Sites this service knows")


@sites.route("")
class Sites(MethodView):
    @sites.response(200, SiteSchema(many=True))
    def get(self):
        """Sites this service has learnt from the platform."""
        with database().transaction() as session:
            return service.list_sites(session)


blueprints = [sites]
