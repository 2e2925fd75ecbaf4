"""Themes, scenario bundles (一件事一次办): definitions, plans and recommendations."""
