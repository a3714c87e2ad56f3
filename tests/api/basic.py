"""A BASIC_AUTH gateway with one user, for tests of what changes when auth is on."""

import base64

BASIC_AUTH = {
    "auth": {
        "method": "BASIC_AUTH",
        "basic_auth": {"users": [{"username": "alice", "password": "wonderland-secret"}]},
    }
}
"""Settings (as a tree for `make_stack`) of a gateway whose one user is alice."""
ALICE = {"Authorization": "Basic " + base64.b64encode(b"alice:wonderland-secret").decode()}

USERS = ("alice", "bob")
PER_USER_BASIC_AUTH = {
    "auth": {
        "method": "BASIC_AUTH",
        "per_user_runs": True,
        "basic_auth": {"users": [{"username": u, "password": f"{u}-password"} for u in USERS]},
    }
}
"""Settings of a gateway where alice and bob each see only their own runs."""


def as_user(user: str) -> dict[str, str]:
    """The headers of a request from `user` of PER_USER_BASIC_AUTH."""
    token = base64.b64encode(f"{user}:{user}-password".encode()).decode()
    return {"Authorization": f"Basic {token}"}
