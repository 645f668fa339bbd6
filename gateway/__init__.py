"""Relais: an SMS/USSD referral gateway for child protection.

Use :func:`create_app` to build the Flask application; nothing is built at
import time.
"""

from gateway.app import create_app

__all__ = ["create_app"]
