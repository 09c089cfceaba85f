"""localcloud: local servers that speak Google Cloud's wire protocols."""
