"""Provider webhooks: the public URLs Twilio and Africa's Talking call.

Every handler follows the same order: authenticate (signature or token,
403), parse strictly (400 for a malformed body; an invalid sender is answered
200 so the provider does not retry, counted, never processed), store and
commit, then process. Processing errors never turn into a 5xx: the message is
safe in the database and the sweeper retries it. Each client IP may make at
most ``WEBHOOK_IP_LIMIT`` requests a minute.
"""

from flask import Blueprint, Response, request
from redis.exceptions import RedisError

from gateway import runtime
from gateway.throttle import ip_over_limit

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.before_request
def _limit_per_ip() -> Response | None:
    """At most WEBHOOK_IP_LIMIT requests a minute per client IP (429 beyond)."""
    rt = runtime.current()
    ip_hash = rt.keyring.lookup_hash("ip:" + (request.remote_addr or ""))
    try:
        over = ip_over_limit(rt.redis, ip_hash, rt.settings.WEBHOOK_IP_LIMIT)
    except RedisError:
        return None  # without Redis, no limit: never lose a report over it
    if over:
        return Response("Too Many Requests", status=429, mimetype="text/plain")
    return None


from gateway.webhooks import africastalking, twilio  # noqa: E402,F401  (register routes)
