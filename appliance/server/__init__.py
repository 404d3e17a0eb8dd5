"""The local web API and the access token."""
