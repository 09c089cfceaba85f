"""``make token``: an ID token for the local cloud, as the Auth emulator issues them, and how to use it.

The functions accept it because the local cloud sets ``FIREBASE_AUTH_EMULATOR_HOST`` for them (firebase-admin
then takes unsigned emulator tokens); Google's verifier refuses it, so it is useless against production.
"""

from __future__ import annotations

import argparse
import sys

from localcloud.auth import emulator_id_token
from localcloud.stack import PROJECT

DEMO_SALON = "salon_demo"  # no city in the id: the seed picks the salon's name and locality
LOCAL_API = f"http://127.0.0.1:5001/{PROJECT}/asia-south1/autonomous"
ROLES = ("owner", "manager", "staff")


def owner_token(salon_id: str, role: str = "owner", uid: str | None = None) -> str:
    return emulator_id_token(uid or f"uid_{role}_{salon_id}", PROJECT, {"salon_roles": {salon_id: role}},
                             lifetime_s=12 * 3600)


def usage(salon_id: str, token: str) -> str:
    return "\n".join([
        f"ID token ({salon_id}, valid 12 h):",
        f"  export SALONFLOW_TOKEN={token}",
        "Try the API:",
        f'  curl -s -H "Authorization: Bearer $SALONFLOW_TOKEN" "{LOCAL_API}/agents?salon_id={salon_id}"',
        f"  (the OpenAPI document: {LOCAL_API}/openapi.json)",
    ])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make token")
    parser.add_argument("--salon", default=DEMO_SALON, help="the salon the token's role is in")
    parser.add_argument("--role", default="owner", choices=ROLES)
    parser.add_argument("--uid", default=None)
    args = parser.parse_args(argv)
    print(usage(args.salon, owner_token(args.salon, args.role, args.uid)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
