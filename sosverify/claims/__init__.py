"""The paper's claims (SPEC §4), each with a check that returns evidence.

A claim's check is a plain function returning :class:`Evidence`; the registry
:data:`CLAIMS` keeps them in the order of the paper.  ``sosverify verify`` runs them.
"""

from sosverify.claims.base import Claim, Evidence
from sosverify.claims.registry import CLAIMS, get_claims

__all__ = ["Claim", "Evidence", "CLAIMS", "get_claims"]
