"""Configure pywikibot for this bot: its config dir, the Commons site, credentials, pacing.

pywikibot reads its configuration when it is first imported, so this module imports it
only inside :func:`import_pywikibot`, after pointing ``PYWIKIBOT_DIR`` at the bot's own
config dir. Import nothing that imports pywikibot before calling :func:`setup_pywikibot`.

Where things come from:

- **The wiki.** ``api_url=None`` is the real Commons through pywikibot's own
  ``commons`` family. Any other URL (a local stand-in, a test wiki) gets a small
  Wikibase family built here (:func:`make_family`), so the same code path runs offline.
- **Credentials** never live in the repository or in logs. In order of preference:
  an owner-only OAuth 1.0a consumer (``config.authenticate``, set by ``user-config.py``
  or from the ``COMMONS_OAUTH_*`` environment variables), then a BotPassword from the
  ``COMMONS_BOTPASSWORD_NAME``/``COMMONS_BOTPASSWORD`` environment variables, then
  pywikibot's own ``password_file``. Without any of them a login raises
  :class:`CredentialsMissing` instead of letting pywikibot prompt on a terminal that a
  scheduled job does not have.
- **Anonymous** (``username=None``, the dry run): no username and no OAuth token is used
  for that wiki in this process, so a bug cannot write: pywikibot refuses any write
  action by an anonymous session.
- **Pacing** (``put_throttle``, ``maxlag``, retries) goes into ``pywikibot.config``
  before the site and its throttle exist. The retries are bounded (``max_retries``,
  ``retry_wait``, ``retry_max``, the connect timeout): an unreachable Commons fails within
  :func:`unreachable_bound` seconds (about 30 with the bot's settings), not the minutes of
  pywikibot's defaults, and pywikibot's traceback per retry is kept out of the output
  (one INFO line each instead; all of it with ``-vv``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from bot.core.errors import AuthRefused, ConfigError

log = logging.getLogger(__name__)

COMMONS_CODE = "commons"
ENV_BOTPASSWORD_NAME = "COMMONS_BOTPASSWORD_NAME"  # "BotAccount@suffix"
ENV_BOTPASSWORD = "COMMONS_BOTPASSWORD"
ENV_OAUTH = (
    "COMMONS_OAUTH_CONSUMER_KEY",
    "COMMONS_OAUTH_CONSUMER_SECRET",
    "COMMONS_OAUTH_ACCESS_TOKEN",
    "COMMONS_OAUTH_ACCESS_SECRET",
)

_GENERATED_USER_CONFIG = """\
# Written by bot.adapters.pywikibot_setup because this directory had no user-config.py.
# pywikibot only honours PYWIKIBOT_DIR when a user-config.py exists in it; the bot's
# settings are applied in code. Replace this file with your own (see
# user-config.py.sample in the repository) to add credentials.
family = 'commons'
mylang = 'commons'
"""


def unreachable_bound(
    max_retries: int, retry_wait: float, retry_max: float, connect_timeout: float
) -> float:
    """The longest a Commons request takes before it fails for want of a connection.

    pywikibot tries ``max_retries + 1`` times and waits ``retry_wait`` doubling up to
    ``retry_max`` between tries (``WaitingMixin.wait``).
    """
    waits = sum(min(retry_wait * 2**n, retry_max) for n in range(max(0, max_retries)))
    return (max(0, max_retries) + 1) * connect_timeout + waits


class _QuietRetries(logging.Filter):
    """pywikibot logs a whole traceback, and a "Waiting" line, for every retry of a
    request that got no connection. Keep them out of the bot's output (one INFO line of
    this module each, visible with ``-v``) unless debug logging (``-vv``) is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if log.isEnabledFor(logging.DEBUG):
            return True
        message = record.getMessage()
        if message.startswith("Traceback (most recent call last)"):
            last = message.strip().splitlines()[-1]
            log.info("Commons request failed: %s", " ".join(last.split())[:200])
            return False
        if message.startswith(("An error occurred for uri", "Waiting ")):
            log.info("Commons: %s", message.strip())
            return False
        return True


_QUIET_RETRIES = _QuietRetries()


def _install_quiet_retries() -> None:
    logger = logging.getLogger("pywiki")
    if _QUIET_RETRIES not in logger.filters:
        logger.addFilter(_QUIET_RETRIES)


class PywikibotSetupError(ConfigError, RuntimeError):
    """pywikibot could not be set up for the requested wiki and account."""


class CredentialsMissing(PywikibotSetupError):
    """A login was asked for but no OAuth token, BotPassword or password file has one."""


class LoginFailed(AuthRefused, PywikibotSetupError):
    """The wiki refused the credentials, or the session is not the expected account."""


def prepare_config_dir(config_dir: Path) -> Path:
    """Create the config dir (owner-only: it holds cookies and maybe passwords)."""
    config_dir = Path(config_dir).expanduser().resolve()
    config_dir.mkdir(parents=True, exist_ok=True)
    config_dir.chmod(0o700)
    user_config = config_dir / "user-config.py"
    if not user_config.exists():
        user_config.write_text(_GENERATED_USER_CONFIG, encoding="utf-8")
        user_config.chmod(0o600)
    # pywikibot >= 11.x raises FileNotFoundError when a process that already started a
    # throttle (its module-level pid is set) opens a config dir with no throttle.ctrl.
    (config_dir / "throttle.ctrl").touch(exist_ok=True)
    return config_dir


def import_pywikibot(config_dir: Path) -> ModuleType:
    """Import pywikibot with ``config_dir`` as its base dir (apicache, throttle.ctrl, cookies).

    If pywikibot was imported earlier, its base dir is switched over; a user-config.py in
    ``config_dir`` was then not read, which is logged because credentials may be in it.
    """
    config_dir = prepare_config_dir(config_dir)
    if "pywikibot" not in sys.modules:
        os.environ["PYWIKIBOT_DIR"] = str(config_dir)
        os.environ.setdefault("PYWIKIBOT_NO_USER_CONFIG", "2")
    import pywikibot

    config = pywikibot.config
    if Path(config.base_dir).resolve() != config_dir:
        if (config_dir / "user-config.py").read_text(encoding="utf-8") != _GENERATED_USER_CONFIG:
            log.warning(
                "pywikibot was imported before setup_pywikibot(); %s/user-config.py was not read",
                config_dir,
            )
        config.base_dir = str(config_dir)
    return pywikibot


def family_name_for(api_url: str) -> str:
    """A stable family name for an API URL (pywikibot wants ASCII letters and digits)."""
    return "sdc" + hashlib.sha1(api_url.encode("utf-8")).hexdigest()[:12]


def make_family(api_url: str, name: str | None = None) -> Any:
    """A pywikibot Wikibase family for one wiki at ``api_url`` (code ``commons``).

    Built as a class at runtime and handed to ``pywikibot.Site`` directly, so nothing is
    written to disk and nothing is registered globally.
    """
    import pywikibot.family as pwb_family

    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {api_url!r}")
    if not parts.path.endswith("/api.php"):
        raise ValueError(f"the API URL must end in /api.php: {api_url!r}")
    scheme = parts.scheme
    script_path = parts.path.removesuffix("/api.php")

    def protocol(self: Any, code: str) -> str:
        return scheme

    def scriptpath(self: Any, code: str) -> str:
        return script_path

    cls = type(
        "ConfiguredCommonsFamily",
        (pwb_family.SingleSiteFamily, pwb_family.DefaultWikibaseFamily),
        {
            "__module__": __name__,
            "name": name or family_name_for(api_url),
            "code": COMMONS_CODE,
            "domain": parts.netloc,
            "protocol": protocol,
            "scriptpath": scriptpath,
        },
    )
    return cls()


def oauth_from_env(environ: Mapping[str, str]) -> tuple[str, str, str, str] | None:
    """The four OAuth 1.0a values if all ``COMMONS_OAUTH_*`` variables are set."""
    values = [environ.get(name, "").strip() for name in ENV_OAUTH]
    if all(values):
        return values[0], values[1], values[2], values[3]
    if any(values):
        missing = [name for name, value in zip(ENV_OAUTH, values, strict=True) if not value]
        raise CredentialsMissing(f"incomplete OAuth settings: {', '.join(missing)} not set")
    return None


def setup_pywikibot(
    api_url: str | None,
    config_dir: Path,
    username: str | None,
    *,
    put_throttle: float | None = None,
    maxlag: int = 5,
    max_retries: int | None = None,
    retry_wait: float | None = None,
    retry_max: float | None = None,
    connect_timeout: float | None = None,
    min_throttle: float | None = None,
    user_agent: str | None = None,
    environ: Mapping[str, str] | None = None,
    login: bool = True,
) -> Any:
    """Configure pywikibot and return the Commons ``DataSite``, logged in if ``username``.

    ``put_throttle`` is the minimum number of seconds between two edits (0: none; only
    maxlag and the server's rate limits pace the edits; None: pywikibot's default, 10 s).
    ``max_retries``/``retry_wait``/``retry_max`` tune pywikibot's own retries of maxlag,
    ``ratelimited``, ``badtoken``, HTTP 5xx and requests that got no connection;
    ``connect_timeout`` is the seconds a connection may take to open (pywikibot: 6.05);
    ``min_throttle`` is the minimum gap between any two requests (pywikibot: 0.1 s).
    """
    env = os.environ if environ is None else environ
    pywikibot = import_pywikibot(config_dir)
    config = pywikibot.config

    _install_quiet_retries()
    config.write_maxlag = int(maxlag)
    if put_throttle is not None:
        config.put_throttle = float(put_throttle)
    if max_retries is not None:
        config.max_retries = int(max_retries)
    if retry_wait is not None:
        config.retry_wait = retry_wait
    if retry_max is not None:
        config.retry_max = retry_max
    if connect_timeout is not None:
        read = config.socket_timeout
        read = read[1] if isinstance(read, tuple) else read
        config.socket_timeout = (float(connect_timeout), read)
    if min_throttle is not None:
        config.minthrottle = min_throttle
    if user_agent:
        config.user_agent_description = user_agent

    if api_url:
        family = make_family(api_url)
        family_name = family.name
    else:
        family = pywikibot.family.Family.load("commons")
        family_name = "commons"
    host = urlsplit(family.base_url(COMMONS_CODE, "/")).netloc

    if username:
        oauth = oauth_from_env(env)
        if oauth is not None:
            config.authenticate[host] = oauth
        config.usernames[family_name][COMMONS_CODE] = username
    else:
        # Anonymous: drop any account user-config.py names for this wiki.
        config.usernames[family_name].pop(COMMONS_CODE, None)
        config.usernames.get("*", {}).pop(COMMONS_CODE, None)
        config.authenticate.pop(host, None)

    _forget_cached_sites(pywikibot, family_name)
    site = pywikibot.Site(COMMONS_CODE, family, user=username, interface="DataSite")
    if put_throttle is not None:
        site.throttle.set_delays(writedelay=float(put_throttle))
    if username and login:
        login_site(site, username, environ=env)
    return site


def login_site(site: Any, username: str, *, environ: Mapping[str, str] | None = None) -> None:
    """Log ``site`` in as ``username`` without ever prompting; raise if that fails."""
    import pywikibot
    from pywikibot import login as pwb_login
    from pywikibot.exceptions import NoUsernameError

    env = os.environ if environ is None else environ
    if site.logged_in():
        return
    if not site.is_oauth_token_available():
        env_name = env.get(ENV_BOTPASSWORD_NAME, "").strip()
        env_password = env.get(ENV_BOTPASSWORD, "")
        if env_password:
            if env_name and env_name.partition("@")[0] != username:
                raise CredentialsMissing(
                    f"{ENV_BOTPASSWORD_NAME} is for {env_name.partition('@')[0]!r}, "
                    f"not {username!r}"
                )
            # The environment wins: pywikibot's password file is not read at all.
            saved, pywikibot.config.password_file = pywikibot.config.password_file, None
            try:
                manager = pwb_login.ClientLoginManager(site=site, user=username)
            finally:
                pywikibot.config.password_file = saved
            manager.password = env_password
            manager.login_name = env_name or username
        else:
            try:
                manager = pwb_login.ClientLoginManager(site=site, user=username)
            except (OSError, ValueError) as exc:
                raise CredentialsMissing(f"pywikibot's password file: {exc}") from None
        if manager.password is None:
            raise CredentialsMissing(
                f"no credentials for {username!r} on {site}: set the COMMONS_OAUTH_* or "
                f"{ENV_BOTPASSWORD_NAME}/{ENV_BOTPASSWORD} environment variables, or "
                "password_file in user-config.py"
            )
        try:
            if not manager.login(retry=False):
                raise LoginFailed(f"login of {manager.login_name!r} on {site} failed")
        except NoUsernameError as exc:
            raise LoginFailed(f"login of {manager.login_name!r} on {site} refused: {exc}") from None
        del site.userinfo
    try:
        # cookie_only: pywikibot's own fallback would prompt for a password on the console.
        site.login(user=username, cookie_only=True)
    except pywikibot.exceptions.Error as exc:
        raise LoginFailed(f"login as {username!r} on {site} failed: {exc}") from None
    if not site.logged_in():
        raise LoginFailed(
            f"not logged in as {username!r} on {site} "
            f"(the session is {site.userinfo.get('name')!r})"
        )
    if not site.has_right("bot"):
        # The right, not the group: a BotPassword made without the highvolume grant keeps
        # the account in the bot group but drops the right (seen on a real wiki).
        log.warning(
            "%s has no bot right on %s (not in the bot group, or a BotPassword without the "
            "highvolume grant): edits will not be flagged as bot edits",
            username,
            site,
        )


def resolve_username(
    explicit: str | None = None,
    *,
    config_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The bot account to log in as, from the first place that names one.

    ``explicit`` (a command-line flag), ``$COMMONS_BOT_USERNAME``, the account part of
    ``$COMMONS_BOTPASSWORD_NAME``, then ``usernames['commons']['commons']`` from
    user-config.py (read only when ``config_dir`` is given: that imports pywikibot).
    """
    env = os.environ if environ is None else environ
    for candidate in (
        explicit,
        env.get("COMMONS_BOT_USERNAME"),
        env.get(ENV_BOTPASSWORD_NAME, "").partition("@")[0],
    ):
        if candidate and candidate.strip():
            return candidate.strip()
    if config_dir is not None:
        pywikibot = import_pywikibot(config_dir)
        name = pywikibot.config.usernames.get("commons", {}).get(COMMONS_CODE)
        return str(name) if name else None
    return None


def _forget_cached_sites(pywikibot: ModuleType, family_name: str) -> None:
    """Drop pywikibot's cached Site objects of this family.

    ``pywikibot.Site`` caches sites by family *name*; a new stand-in on a reused port
    (tests), or a second setup in one process, must not get the old session's site.
    """
    sites = getattr(pywikibot, "_sites", None)
    if isinstance(sites, dict):
        for key in [k for k in sites if f":{family_name}:" in k]:
            del sites[key]
