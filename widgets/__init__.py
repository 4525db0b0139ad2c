"""Reusable Textual widgets: they render services.models and post messages; never call Azure."""
