"""Salon Flow: autonomous, governed agents for salons."""
