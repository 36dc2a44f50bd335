"""The exceptions of the Flickr client, and what ``fetch_photos`` answers per photo.

Kept apart from the client so that callers that only catch (the job, the CLI) read one
short module; every class sits under the ``bot.core.errors`` root, which gives each kind
its exit code.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import AuthRefused, ConfigError, NetworkUnreachable, RemoteError
from bot.core.flickr_photo import FlickrPhoto, FlickrPhotoGone


class FlickrError(RemoteError):
    """Base class of everything the client raises."""


class FlickrFatalError(FlickrError):
    """No Flickr call can succeed in this run (bad key, Flickr unreachable): stop it."""


class FlickrAuthError(AuthRefused, FlickrFatalError):
    """Flickr rejects the API key (code 100): the whole run must stop."""


class FlickrKeyMissing(ConfigError, FlickrAuthError):
    """No API key was given (``FLICKR_API_KEY`` unset or empty): nothing was sent."""


class FlickrApiError(FlickrError):
    """Flickr answered ``stat=fail`` with a code that is not a transient one."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        self.method = method
        self.code = code
        self.flickr_message = message
        super().__init__(
            f"{method}: {message}" if code is None else f"{method}: Flickr error {code}: {message}"
        )


class FlickrUnavailableError(FlickrError):
    """Flickr kept failing transiently (5xx/429/105/201/timeouts) until retries ran out."""


class FlickrUnreachableError(NetworkUnreachable, FlickrFatalError, FlickrUnavailableError):
    """Flickr's host could not be connected to within the bounded retries: stop the run."""


class FlickrResponseError(FlickrError):
    """A well-formed answer whose content does not have the fields we rely on."""


@dataclass(frozen=True, slots=True)
class FetchError:
    """A photo we could not read this run (Flickr unavailable); retry it in a later run."""

    photo_id: str
    message: str


FetchResult = FlickrPhoto | FlickrPhotoGone | FetchError
"""What ``fetch_photos`` gives for each photo id."""
