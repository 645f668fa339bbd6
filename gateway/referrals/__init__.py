"""Referral directory and routing: places, agencies, focal points, rules.

Pure code, no database: :mod:`gateway.referrals.places` (the place hierarchy),
:mod:`gateway.referrals.directory` (loading and checking the directory file)
and :mod:`gateway.referrals.routing` (which agency and people get an alert).
"""
