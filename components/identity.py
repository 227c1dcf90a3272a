"""The Cognito user pool the shoppers sign in to: one, in the primary region.

AWS offers no multi-region user pool, so the primary stack creates it and every region's JWT
authorizer trusts it (`UserPoolRef`); the secondary stack reads the reference from the
primary's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class UserPoolRef:
    """The primary region's user pool, which every region's authorizer trusts."""

    region: pulumi.Input[str]
    """The pool's region: the secondary reads it from the primary stack, not its own config."""
    user_pool_id: pulumi.Input[str]
    client_id: pulumi.Input[str]


@dataclass(frozen=True)
class UserPool:
    pool: aws.cognito.UserPool
    client: aws.cognito.UserPoolClient
    """The web app's client: no secret (it runs in the browser)."""
    ref: UserPoolRef


def user_pool(
    name: str,
    *,
    prefix: str,
    region: str,
    deletion_protection: bool,
    opts: pulumi.ResourceOptions,
) -> UserPool:
    """The pool (`<prefix>-users`: e-mail sign-in, verified e-mail recovery) and its web
    client, declared with the caller's `opts` (its parent)."""
    pool = aws.cognito.UserPool(
        f"{name}-users",
        name=f"{prefix}-users",
        username_attributes=["email"],
        auto_verified_attributes=["email"],
        password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
            minimum_length=12,
            require_lowercase=True,
            require_uppercase=True,
            require_numbers=True,
            require_symbols=False,
            temporary_password_validity_days=3,
        ),
        account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
            recovery_mechanisms=[
                aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                    name="verified_email", priority=1
                )
            ]
        ),
        deletion_protection="ACTIVE" if deletion_protection else "INACTIVE",
        region=region,
        opts=opts,
    )
    client = aws.cognito.UserPoolClient(
        f"{name}-web-client",
        name=f"{prefix}-web",
        user_pool_id=pool.id,
        generate_secret=False,
        explicit_auth_flows=[
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        prevent_user_existence_errors="ENABLED",
        enable_token_revocation=True,
        region=region,
        opts=opts,
    )
    return UserPool(
        pool=pool,
        client=client,
        ref=UserPoolRef(region=region, user_pool_id=pool.id, client_id=client.id),
    )
