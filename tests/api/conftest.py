import pytest

from tests.api.helpers import session_client, token_client


@pytest.fixture
def api_as():
    """api_as(user) -> a token client; api_as(user, session=True) -> a session client."""

    def make(user, session=False):
        return session_client(user) if session else token_client(user)

    return make

