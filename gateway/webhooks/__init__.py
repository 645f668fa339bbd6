"""Provider webhooks: the public URLs Twilio and Africa's Talking call.

Every handler follows the same order: authenticate (signature or token,
403), parse strictly (400 for a malformed body; an invalid sender is answered
200 so the provider does not retry, counted, never processed), store and
commit, then process. Processing errors never turn into a 5xx: the message is
safe in the database and the sweeper retries it.
"""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from gateway.webhooks import africastalking, twilio  # noqa: E402,F401  (register routes)
