"""The dispatcher: every inbound message, whatever its channel, goes through here.

The webhooks store a message, then hand its id to :class:`Dispatcher`, which
steps the person's conversation and queues the replies. Other parts plug in
through ``sms_handlers`` (tried in order before the alert flow; the
referrals work registers the focal-point commands there).
"""

from gateway.dispatch.dispatcher import Dispatcher

__all__ = ["Dispatcher"]
