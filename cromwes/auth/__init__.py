"""Who is calling: no auth, HTTP basic, OAuth2 JWT and DNAstack Passport."""
