"""HTTP API of the housing service. Views only translate HTTP to use cases."""
from flask.views import MethodView
from flask_smorest import Blueprint

from services.housing import service
from services.housing.languages import LANGUAGES
from services.housing.schemas import (
    ContactSchema,
    GroupSchema,
    MatchQuerySchema,
    MatchSchema,
    MessageCreateSchema,
    MessageSchema,
    OfferCreateSchema,
    OfferQuerySchema,
    OfferSchema,
    OfferUpdateSchema,
    ProposalRunSchema,
    RejectSchema,
    ReportCreateSchema,
    ReportSchema,
    RequestCreateSchema,
    RequestSchema,
    RequestUpdateSchema,
    VocabularySchema,
)
from services.housing.service import Viewer
from services.housing.vocabulary import ACCESSIBILITY, AREAS, HOURS
from shared.identity import current_identity, person_required, roles_required, signed_in
from shared.web import database, now

SECURED = [{"identity": []}]
STAFF = ("veilleur", "admin")

vocabulary = Blueprint("vocabulary", __name__, url_prefix="/vocabulary", description="Codes the API accepts")
requests_blp = Blueprint("requests", __name__, url_prefix="/requests", description="Newcomers' housing requests")
offers = Blueprint("offers", __name__, url_prefix="/offers", description="Hosts' offers and their review")
matches = Blueprint("matches", __name__, url_prefix="/matches", description="Matches: consent and messages")
groups = Blueprint("groups", __name__, url_prefix="/groups", description="Roommate groups of newcomers")


def viewer() -> Viewer:
    return Viewer.of(current_identity())


@vocabulary.route("")
class Vocabulary(MethodView):
    @vocabulary.response(200, VocabularySchema)
    def get(self):
        """ISO 639-1 languages, areas, accessibility features and rhythms the API accepts."""
        return {"languages": LANGUAGES, "areas": AREAS, "accessibility": ACCESSIBILITY, "hours": list(HOURS)}


# -- requests ------------------------------------------------------------------------------------
@requests_blp.route("")
class Requests(MethodView):
    @person_required
    @requests_blp.arguments(RequestCreateSchema)
    @requests_blp.response(201, RequestSchema)
    @requests_blp.doc(security=SECURED)
    def post(self, payload):
        """Post a housing request (any account); it expires after 60 days unless renewed."""
        who = viewer()
        with database().transaction() as session:
            return service.request_view(service.create_request(session, who.subject, now=now(), **payload), who)


@requests_blp.route("/mine")
class OwnRequests(MethodView):
    @requests_blp.response(200, RequestSchema(many=True))
    @requests_blp.doc(security=SECURED)
    def get(self):
        """My requests, contact details included."""
        who = viewer()
        with database().transaction() as session:
            return [service.request_view(r, who) for r in service.list_own_requests(session, who)]


@requests_blp.route("/<request_id>")
class RequestItem(MethodView):
    @requests_blp.response(200, RequestSchema)
    @requests_blp.doc(security=SECURED)
    def get(self, request_id):
        """One of my requests."""
        who = viewer()
        with database().transaction() as session:
            return service.request_view(service.own_request(session, who, request_id), who)

    @requests_blp.arguments(RequestUpdateSchema(partial=True))
    @requests_blp.response(200, RequestSchema)
    @requests_blp.doc(security=SECURED)
    def patch(self, changes, request_id):
        """Change one of my requests; matches follow at once."""
        who = viewer()
        with database().transaction() as session:
            return service.request_view(service.update_request(session, who, request_id, changes, now()), who)

    @requests_blp.response(204)
    @requests_blp.doc(security=SECURED)
    def delete(self, request_id):
        """Delete one of my requests, with its matches and messages."""
        who = viewer()
        with database().transaction() as session:
            service.delete_request(session, who, request_id)


@requests_blp.route("/<request_id>/renew")
class RequestRenew(MethodView):
    @requests_blp.response(200, RequestSchema)
    @requests_blp.doc(security=SECURED)
    def post(self, request_id):
        """Keep my request for another 60 days."""
        who = viewer()
        with database().transaction() as session:
            return service.request_view(service.renew_request(session, who, request_id, now()), who)


@requests_blp.route("/<request_id>/matches")
class RequestMatches(MethodView):
    @signed_in
    @requests_blp.arguments(MatchQuerySchema, location="query")
    @requests_blp.response(200, MatchSchema(many=True))
    @requests_blp.doc(security=SECURED)
    def get(self, query, request_id):
        """Published offers ranked for my request, with the reasons of each score."""
        who = viewer()
        with database().transaction() as session:
            return service.matches_for_request(session, who, request_id, **query)


@requests_blp.route("/<request_id>/group")
class RequestGroup(MethodView):
    @requests_blp.response(200, GroupSchema)
    @requests_blp.doc(security=SECURED)
    def get(self, request_id):
        """The roommate group proposed to (or formed with) my request."""
        who = viewer()
        with database().transaction() as session:
            return service.group_of_request(session, who, request_id)


# -- offers --------------------------------------------------------------------------------------
@offers.route("")
class Offers(MethodView):
    @signed_in
    @offers.arguments(OfferQuerySchema, location="query")
    @offers.response(200, OfferSchema(many=True))
    @offers.doc(security=SECURED)
    def get(self, query):
        """Published offers (anyone signed in); pending or rejected ones (veilleurs)."""
        who = viewer()
        with database().transaction() as session:
            return [service.offer_view(session, o, who) for o in service.list_offers(session, who, query["status"])]

    @person_required
    @offers.arguments(OfferCreateSchema)
    @offers.response(201, OfferSchema)
    @offers.doc(security=SECURED)
    def post(self, payload):
        """Offer a room or a flat (any account); a veilleur reviews it before it is published."""
        who = viewer()
        with database().transaction() as session:
            return service.offer_view(session, service.create_offer(session, who.subject, now=now(), **payload), who)


@offers.route("/mine")
class OwnOffers(MethodView):
    @offers.response(200, OfferSchema(many=True))
    @offers.doc(security=SECURED)
    def get(self):
        """My offers, contact details included."""
        who = viewer()
        with database().transaction() as session:
            return [service.offer_view(session, o, who) for o in service.list_own_offers(session, who)]


@offers.route("/<offer_id>")
class OfferItem(MethodView):
    @offers.response(200, OfferSchema)
    @offers.doc(security=SECURED)
    def get(self, offer_id):
        """One offer: published ones for anyone signed in; contact details only for its owner."""
        who = viewer()
        with database().transaction() as session:
            return service.offer_view(session, service.visible_offer(session, who, offer_id), who)

    @offers.arguments(OfferUpdateSchema(partial=True))
    @offers.response(200, OfferSchema)
    @offers.doc(security=SECURED)
    def patch(self, changes, offer_id):
        """Change my offer; a published offer goes back to review."""
        who = viewer()
        with database().transaction() as session:
            return service.offer_view(session, service.update_offer(session, who, offer_id, changes, now()), who)

    @offers.response(204)
    @offers.doc(security=SECURED)
    def delete(self, offer_id):
        """Delete my offer, with its matches and messages."""
        who = viewer()
        with database().transaction() as session:
            service.delete_offer(session, who, offer_id)


@offers.route("/<offer_id>/publish")
class OfferPublish(MethodView):
    @roles_required(*STAFF)
    @offers.response(200, OfferSchema)
    @offers.doc(security=SECURED)
    def post(self, offer_id):
        """Publish a pending offer after review (veilleur, admin)."""
        who = viewer()
        with database().transaction() as session:
            return service.offer_view(session, service.publish_offer(session, who, offer_id), who)


@offers.route("/<offer_id>/reject")
class OfferReject(MethodView):
    @roles_required(*STAFF)
    @offers.arguments(RejectSchema)
    @offers.response(200, OfferSchema)
    @offers.doc(security=SECURED)
    def post(self, payload, offer_id):
        """Reject an offer, with the reason for its host (veilleur, admin)."""
        who = viewer()
        with database().transaction() as session:
            return service.offer_view(session, service.reject_offer(session, who, offer_id, payload["reason"]), who)


@offers.route("/<offer_id>/reports")
class OfferReports(MethodView):
    @person_required
    @offers.arguments(ReportCreateSchema)
    @offers.response(201, ReportSchema)
    @offers.doc(security=SECURED)
    def post(self, payload, offer_id):
        """Report an offer (scam, already let...): it goes back to review (anyone signed in)."""
        who = viewer()
        with database().transaction() as session:
            return service.report_offer(session, who, offer_id, **payload)

    @roles_required(*STAFF)
    @offers.response(200, ReportSchema(many=True))
    @offers.doc(security=SECURED)
    def get(self, offer_id):
        """Reports of an offer (veilleur, admin)."""
        with database().transaction() as session:
            return service.list_reports(session, offer_id)


@offers.route("/<offer_id>/matches")
class OfferMatches(MethodView):
    @signed_in
    @offers.arguments(MatchQuerySchema, location="query")
    @offers.response(200, MatchSchema(many=True))
    @offers.doc(security=SECURED)
    def get(self, query, offer_id):
        """Requests and formed groups ranked for my published offer."""
        who = viewer()
        with database().transaction() as session:
            return service.matches_for_offer(session, who, offer_id, **query)


# -- matches -------------------------------------------------------------------------------------
@matches.route("/<seeker_id>/<offer_id>")
class MatchItem(MethodView):
    @matches.response(200, MatchSchema)
    @matches.doc(security=SECURED)
    def get(self, seeker_id, offer_id):
        """A match seen from my side: score, reasons, consent; contact once both are interested."""
        who = viewer()
        with database().transaction() as session:
            return service.get_match(session, who, seeker_id, offer_id)


def _answer_view(answer: str, summary: str):
    class Answer(MethodView):
        @matches.response(200, MatchSchema)
        @matches.doc(security=SECURED, summary=summary)
        def post(self, seeker_id, offer_id):
            who = viewer()
            with database().transaction() as session:
                return service.answer_match(session, who, seeker_id, offer_id, answer)

    Answer.__name__ = f"Match{answer.capitalize()}"
    return Answer


matches.route("/<seeker_id>/<offer_id>/interest")(_answer_view("interested", "Say I am interested"))
matches.route("/<seeker_id>/<offer_id>/decline")(_answer_view("declined", "Decline this match"))
matches.route("/<seeker_id>/<offer_id>/withdraw")(_answer_view("withdrawn", "Withdraw my interest"))


@matches.route("/<seeker_id>/<offer_id>/contact")
class MatchContact(MethodView):
    @matches.response(200, ContactSchema(many=True))
    @matches.doc(security=SECURED)
    def get(self, seeker_id, offer_id):
        """The other side's contact details; a 403 problem before both sides are interested."""
        who = viewer()
        with database().transaction() as session:
            return service.match_contact(session, who, seeker_id, offer_id)


@matches.route("/<seeker_id>/<offer_id>/messages")
class MatchMessages(MethodView):
    @matches.response(200, MessageSchema(many=True))
    @matches.doc(security=SECURED)
    def get(self, seeker_id, offer_id):
        """Messages of a match of mine."""
        who = viewer()
        with database().transaction() as session:
            return service.list_messages(session, who, seeker_id, offer_id)

    @matches.arguments(MessageCreateSchema)
    @matches.response(201, MessageSchema)
    @matches.doc(security=SECURED)
    def post(self, payload, seeker_id, offer_id):
        """Write to the other side of a match, without seeing their e-mail or phone."""
        who = viewer()
        with database().transaction() as session:
            message = service.send_message(session, who, seeker_id, offer_id, payload["body"])
            return {"id": message.id, "sender_side": message.sender_side, "mine": True, "body": message.body,
                    "sent_at": message.sent_at}


# -- groups --------------------------------------------------------------------------------------
@groups.route("/proposals")
class GroupProposals(MethodView):
    @roles_required(*STAFF)
    @groups.response(201, ProposalRunSchema)
    @groups.doc(security=SECURED)
    def post(self):
        """Propose groups now among newcomers looking for roommates (veilleur, admin; the worker does it too)."""
        with database().transaction() as session:
            return service.propose_groups(session)


@groups.route("/<group_id>")
class GroupItem(MethodView):
    @groups.response(200, GroupSchema)
    @groups.doc(security=SECURED)
    def get(self, group_id):
        """A group I am in."""
        who = viewer()
        with database().transaction() as session:
            return service.get_group(session, who, group_id)


@groups.route("/<group_id>/agree")
class GroupAgree(MethodView):
    @groups.response(200, GroupSchema)
    @groups.doc(security=SECURED)
    def post(self, group_id):
        """Agree to rent with this group; it forms once every member agreed."""
        who = viewer()
        with database().transaction() as session:
            return service.agree_to_group(session, who, group_id)


@groups.route("/<group_id>/decline")
class GroupDecline(MethodView):
    @groups.response(204)
    @groups.doc(security=SECURED)
    def post(self, group_id):
        """Decline a proposal or leave a group: it dissolves and is not proposed again."""
        who = viewer()
        with database().transaction() as session:
            service.leave_group(session, who, group_id)


@groups.route("/<group_id>/matches")
class GroupMatches(MethodView):
    @signed_in
    @groups.arguments(MatchQuerySchema, location="query")
    @groups.response(200, MatchSchema(many=True))
    @groups.doc(security=SECURED)
    def get(self, query, group_id):
        """Whole flats ranked for my formed group, as one household."""
        who = viewer()
        with database().transaction() as session:
            return service.matches_for_group(session, who, group_id, **query)


blueprints = [vocabulary, requests_blp, offers, matches, groups]
