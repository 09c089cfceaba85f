"""Firestore adapters: salon-scoped repositories (repositories.py) and governance stores (governance_*.py)."""
