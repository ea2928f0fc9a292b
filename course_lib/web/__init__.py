"""The API's building blocks: HTTP pieces any web API can reuse (negotiation, idempotency, problems, limits)."""
