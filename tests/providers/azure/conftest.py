"""The ARM replay fixture (``arm``, defined with the provider tests) for every module here."""

from test_azure_provider import arm  # noqa: F401
