"""Build steps run from a checkout, not shipped in the `bookstore` command."""
