"""Plumbing several layers share (the retry policy, the network guard, usage counting, keyed locks).

It imports only app.errors, so storage, the vendor clients, the services and the API can all use it.
"""
