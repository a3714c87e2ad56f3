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
