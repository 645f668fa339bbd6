"""The shared vocabulary of alerts and referrals, as stored and routed.

One definition for the flows' answer values, the directory's rule
conditions, routing and the texts sent to focal points.
"""

CONCERNS = ("separated", "displaced", "abuse", "exploitation", "street", "other")
RISKS = ("high", "medium", "low")
SEXES = ("girl", "boy", "both", "unknown")
AGE_BANDS = ("0-4", "5-11", "12-14", "15-17", "unknown")
LANGUAGES = ("fr", "bm", "en")
