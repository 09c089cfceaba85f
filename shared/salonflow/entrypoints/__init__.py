"""Entry-point services: what each Cloud Function does after parsing its event, before the domain."""
