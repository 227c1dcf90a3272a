"""Pulumi components of the multi-region bookstore (one module per component).

`__main__.py` reads the stack configuration (`components.settings`) and wires these together;
the security invariants over what a stack declares are checked by `tests/infra/policy.py`.
"""
