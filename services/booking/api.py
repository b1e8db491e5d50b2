"""HTTP API of the booking service: rooms. Views only translate HTTP to use cases."""
from flask.views import MethodView
from flask_smorest import Blueprint

from services.booking import service
from services.booking.schemas import RoomCreateSchema, RoomQuerySchema, RoomSchema, RoomUpdateSchema
from shared.identity import require_roles
from shared.web import database

rooms = Blueprint("rooms", __name__, url_prefix="/rooms", description="Rooms of a site")
STAFF = ("veilleur", "admin")


@rooms.route("")
class Rooms(MethodView):
    @rooms.arguments(RoomQuerySchema, location="query")
    @rooms.response(200, RoomSchema(many=True))
    def get(self, query):
        """List the rooms of a site (anyone)."""
        with database().transaction() as session:
            return service.list_rooms(session, query.get("site"), query["include_retired"])

    @rooms.arguments(RoomCreateSchema)
    @rooms.response(201, RoomSchema)
    @rooms.doc(security=[{"identity": []}])
    def post(self, payload):
        """Create a room (veilleur, admin)."""
        require_roles(*STAFF)
        with database().transaction() as session:
            return service.create_room(session, **payload)


@rooms.route("/<room_id>")
class RoomItem(MethodView):
    @rooms.response(200, RoomSchema)
    def get(self, room_id):
        """Read one room (anyone)."""
        with database().transaction() as session:
            return service.get_room(session, room_id)

    @rooms.arguments(RoomUpdateSchema)
    @rooms.response(200, RoomSchema)
    @rooms.doc(security=[{"identity": []}])
    def patch(self, changes, room_id):
        """Change a room (veilleur, admin)."""
        require_roles(*STAFF)
        with database().transaction() as session:
            return service.update_room(session, room_id, changes)


@rooms.route("/<room_id>/retire")
class RoomRetire(MethodView):
    @rooms.response(200, RoomSchema)
    @rooms.doc(security=[{"identity": []}])
    def post(self, room_id):
        """Retire a room: it can no longer be booked (veilleur, admin)."""
        require_roles(*STAFF)
        with database().transaction() as session:
            return service.retire_room(session, room_id)
