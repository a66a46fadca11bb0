"""The wholesale buyer portal (app proxy and standalone sign-in), registration and quick order; a
surface over pricing and quotes.
"""
