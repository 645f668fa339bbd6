"""Africa's Talking adapter: SMS and USSD callbacks (:mod:`.wire`) and sending (:mod:`.sender`)."""

from gateway.channels.africastalking.sender import AfricasTalkingSender
from gateway.channels.africastalking.wire import (
    SLUG,
    UssdEnd,
    UssdRequest,
    latest_input,
    parse_delivery,
    parse_inbound_sms,
    parse_ussd,
    parse_ussd_end,
    render_ussd,
    token_valid,
)

__all__ = [
    "SLUG",
    "AfricasTalkingSender",
    "UssdEnd",
    "UssdRequest",
    "latest_input",
    "parse_delivery",
    "parse_inbound_sms",
    "parse_ussd",
    "parse_ussd_end",
    "render_ussd",
    "token_valid",
]
