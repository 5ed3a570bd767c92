"""console: the marketers' web console — the page, its scripts and styles (``static/``, shipped
with this function, hand-written, no build step) and its sign-in configuration
(``/console/config.json``, from the SSM parameter the template writes). Open routes: nothing
here is data, and every API call the page makes carries the signed-in user's token."""

from __future__ import annotations

import contextlib
from pathlib import Path

from herald.console import config, site
from herald.event_sources import API, only
from herald.observability import logger
from herald.settings import settings

PARAMETER = settings().require("console_config_param").console_config_param
ASSETS = site.load(Path(__file__).resolve().parent / "static")  # ~100 KB, read once


def _sign_in() -> config.SignIn:
    return config.load(PARAMETER)


# Read at cold start (boto3 and the SSM client take ~0.5 s to load: in the init phase, not in
# the first page load); cached for config.MAX_AGE_S. A failure here is said by config.json.
with contextlib.suppress(config.ConsoleMisconfigured):  # logged; each request tries again
    _sign_in()


@logger.inject_lambda_context(clear_state=True)
@only(kinds=(API,))
def lambda_handler(event: dict, context) -> dict:
    return site.respond(ASSETS, event, _sign_in)
