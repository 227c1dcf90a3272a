"""Reading another stack's outputs, with an error that says which stack to deploy first."""

from __future__ import annotations

from typing import Any

import pulumi


class MissingStackOutputError(Exception):
    """An upstream stack does not export an output this stack needs."""


class UpstreamStack(pulumi.StackReference):
    """A StackReference whose `require_output` names the stack to deploy when an output is
    missing (the SDK's own raises a bare `KeyError`)."""

    def __init__(self, resource_name: str, stack_name: str, role: str) -> None:
        super().__init__(resource_name, stack_name=stack_name)
        self.full_name = stack_name
        self.role = role

    def require_output(self, name: pulumi.Input[str]) -> pulumi.Output[Any]:
        # `get_output` keeps the output's secretness; a stored value is never None for the
        # outputs this program exports, so None means "not exported (yet)".
        def present(value: Any, output_name: str) -> Any:
            if value is None:
                raise MissingStackOutputError(
                    f"stack {self.full_name} has no output {output_name!r}: deploy the "
                    f"{self.role} stack first (`pulumi up --stack {self.full_name}`)"
                )
            return value

        return pulumi.Output.all(self.get_output(name), name).apply(
            lambda pair: present(pair[0], pair[1])
        )
