"""Pulumi components of the multi-region bookstore (one module per component).

`__main__.py` reads the stack configuration (`components.settings`) and wires these together;
`components.policy` checks security invariants over the resources a stack declares.
"""
