"""Lockdown and restore: plans with pre-flight checks, the journaled executor, and undo."""
