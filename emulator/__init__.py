"""A local Azure: ARM and the ACR data plane over HTTPS, written from the public REST contract.

It imports nothing from services/, widgets/ or tui/ so the app and its test double cannot
quietly agree on a mistake.
"""
