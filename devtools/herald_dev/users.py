"""``herald users add``: marketers and approvers are Cognito users in the stack's user pool.

``AdminCreateUser`` makes the user (Cognito emails a temporary password: the person sets their
own, and enrols an authenticator app, at their first sign-in in the hosted UI) and
``AdminAddUserToGroup`` puts them in ``marketers`` or ``approvers``. Adding someone who already
exists only adds the group. Needs ``cognito-idp:AdminCreateUser`` and
``cognito-idp:AdminAddUserToGroup`` on the pool.
"""

from __future__ import annotations

from collections.abc import Callable

from herald.errors import HeraldError

GROUPS = ("marketers", "approvers")


def add(user_pool_id: str, email: str, group: str, echo: Callable[[str], None] = print) -> bool:
    """Create ``email`` in the pool (if new) and add it to ``group``; True when it was created."""
    from botocore.exceptions import ClientError

    from herald.aws.clients import client

    if group not in GROUPS:
        raise HeraldError(f"group must be one of {', '.join(GROUPS)}")
    cognito = client("cognito-idp")
    created = True
    try:
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UsernameExistsException":
            raise HeraldError(f"{email}: {exc.response['Error'].get('Message', exc)}") from exc
        created = False
    try:
        cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=email, GroupName=group)
    except ClientError as exc:
        raise HeraldError(f"{email}: {exc.response['Error'].get('Message', exc)}") from exc
    if created:
        echo(
            f"created {email} in {group}: Cognito emails them a temporary password; at their "
            "first sign-in (the console, or herald login) they choose a password and enrol an "
            "authenticator app"
        )
    else:
        echo(f"{email} already existed: added to {group}")
    return created
