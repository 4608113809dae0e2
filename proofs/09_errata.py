"""The paper's errata: each false statement with its exact counterexample and the corrected statement.

Each erratum is a check of the registry (kind "erratum"); here every step of its evidence is printed and
asserted, and its counterexample and correction are shown.  `sosverify verify` reports them as "erratum".

Run: python proofs/09_errata.py
"""

from sosverify.claims import get_claims
from sosverify.symbolic.proof import Proof


def main(out=print):
    for claim in get_claims():
        if claim.kind != "erratum":
            continue
        pr = Proof(f"{claim.section}: {claim.statement}", out)
        ev = claim.check()
        for item in ev.items:
            if item["ok"] is None:
                pr.say(f"{item['what']}" + (f": {item['value']}" if item["value"] else ""))
            else:
                pr.holds(item["what"] + (f" [{item['value']}]" if item["value"] else ""), item["ok"])
        pr.say(f"counterexample: {ev.counterexample}")
        pr.say(f"corrected: {claim.corrected}")
        pr.qed()


if __name__ == "__main__":
    main()
